using System.Net.Sockets;
using System.Runtime.InteropServices;
using Presence.Core.Interop;
using Presence.Ingest.Internal.Intake;

namespace Presence.Ingest.Internal.Udp;

/// <summary>Batch receive with Linux recvmmsg: one system call for up to 64 datagrams.</summary>
internal sealed unsafe class RecvMmsgLoop : ReceiveLoop
{
    private readonly byte* _buffers;
    private readonly IoVec* _iov;
    private readonly MMsgHdr* _headers;
    private readonly int _fd;
    private int _disposed;

    public RecvMmsgLoop(Socket socket, ReceiveContext context, string name, int queueWaitLimitMs, int pauseMs)
        : base(socket, context, name, queueWaitLimitMs, pauseMs)
    {
        _fd = (int)socket.SafeHandle.DangerousGetHandle();
        _buffers = (byte*)NativeMemory.AlignedAlloc((nuint)(DatagramsPerBatch * SlotSize), 64);
        _iov = (IoVec*)NativeMemory.AllocZeroed((nuint)(DatagramsPerBatch * sizeof(IoVec)));
        _headers = (MMsgHdr*)NativeMemory.AllocZeroed((nuint)(DatagramsPerBatch * sizeof(MMsgHdr)));
        for (int i = 0; i < DatagramsPerBatch; i++)
        {
            _iov[i].Base = _buffers + i * SlotSize;
            _iov[i].Length = SlotSize;
            _headers[i].Header.Iov = &_iov[i];
            _headers[i].Header.IovLength = 1;
        }
    }

    protected override int ReceiveBatch()
    {
        // MSG_WAITFORONE: block (up to SO_RCVTIMEO) for the first datagram, then take whatever
        // else is queued without waiting. recvmmsg's own timeout is only checked between
        // datagrams, so it is not used. Stopping, MSG_DONTWAIT: what is queued, never a wait.
        int flags = Stopping ? LinuxSockets.MsgDontWait : LinuxSockets.MsgWaitForOne;
        int n = LinuxSockets.RecvMmsg(_fd, _headers, DatagramsPerBatch, flags, null);
        return n >= 0 ? n : -Marshal.GetLastPInvokeError();
    }

    protected override ReadOnlySpan<byte> Datagram(int index, out bool truncated)
    {
        ref var header = ref _headers[index];
        truncated = (header.Header.Flags & LinuxSockets.MsgTrunc) != 0;
        return new ReadOnlySpan<byte>(_buffers + index * SlotSize, (int)Math.Min(header.Length, SlotSize));
    }

    public override void Dispose()
    {
        // Native memory: freeing twice corrupts the heap, so only the first call frees.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        NativeMemory.AlignedFree(_buffers);
        NativeMemory.Free(_iov);
        NativeMemory.Free(_headers);
    }
}
