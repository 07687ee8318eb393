using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Presence.Core.Interop;

namespace Presence.LoadGen.Internal;

/// <summary>
/// Linux <c>sendmmsg</c> on a connected UDP socket: one system call sends a whole batch. The
/// message headers point straight at the batch's pinned slots, set up once; a send only fills in
/// the lengths.
/// </summary>
internal sealed unsafe class MmsgFrameSender : IFrameSender
{
    private readonly Socket _socket;
    private readonly FrameBatch _batch;
    private readonly MMsgHdr* _headers;
    private readonly IoVec* _iovecs;
    private readonly int _fd;
    private bool _addedRef;
    private bool _disposed;

    /// <param name="batch">The one batch this sender will send; its slots are wired into the headers.</param>
    public MmsgFrameSender(IPEndPoint target, FrameBatch batch)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("sendmmsg is Linux only; use --sender socket.");
        _socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        // Connected, so the headers need no address and the kernel looks the route up once.
        _socket.Connect(target);
        _batch = batch;
        _headers = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)batch.Capacity, (nuint)sizeof(MMsgHdr));
        _iovecs = (IoVec*)NativeMemory.AllocZeroed((nuint)batch.Capacity, (nuint)sizeof(IoVec));
        for (int i = 0; i < batch.Capacity; i++)
        {
            _iovecs[i].Base = batch.SlotPointer(i);
            _headers[i].Header.Iov = &_iovecs[i];
            _headers[i].Header.IovLength = 1;
        }
        _socket.SafeHandle.DangerousAddRef(ref _addedRef);
        _fd = (int)_socket.SafeHandle.DangerousGetHandle();
    }

    public string Name => "sendmmsg";

    public SendResult Send(FrameBatch batch)
    {
        Debug.Assert(ReferenceEquals(batch, _batch), "the headers point at the batch given at construction");
        int count = batch.Count;
        for (int i = 0; i < count; i++)
            _iovecs[i].Length = (nuint)batch.Length(i);

        int sent = 0, records = 0, errors = 0, at = 0;
        while (at < count)
        {
            int n = LinuxSockets.SendMmsg(_fd, _headers + at, (uint)(count - at), 0);
            if (n > 0)
            {
                sent += n;
                for (int end = at + n; at < end; at++)
                    records += batch.Records(at);
                continue;
            }
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Errno.EINTR)
                continue;
            if (!SendErrors.IsTransient(errno))
                throw new SocketException(errno, $"sendmmsg failed with errno {errno}");
            // The kernel stops at the first frame it refuses: count that one and go on after it.
            batch.MarkRefused(at);
            errors++;
            at++;
        }
        return new SendResult(sent, records, errors);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        if (_addedRef)
        {
            _socket.SafeHandle.DangerousRelease();
            _addedRef = false;
        }
        _socket.Dispose();
        NativeMemory.Free(_headers);
        NativeMemory.Free(_iovecs);
    }
}
