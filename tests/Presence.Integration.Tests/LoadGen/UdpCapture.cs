using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Presence.Core.Interop;
using Presence.Ingest.Internal.Udp;
using Presence.Testing;

namespace Presence.Integration.Tests.LoadGen;

/// <summary>
/// The receiving end for load generator tests: a real UDP socket on 127.0.0.1 (port 0) that keeps
/// a copy of every datagram and the time the kernel received it (SO_TIMESTAMPNS, read with
/// recvmsg), so the times do not depend on when this thread got a core.
/// </summary>
internal sealed partial class UdpCapture : IDisposable
{
    private const int SoTimestampNs = 35; // SO_TIMESTAMPNS_OLD; its control message type (SCM_TIMESTAMPNS) is the same number
    private const int BufferBytes = 8 << 20;

    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly List<(TimeSpan At, byte[] Bytes)> _frames = [];
    private readonly KernelUdpStats _stats;
    private readonly Thread _thread;
    private volatile bool _stopping;
    private volatile Exception? _failure;

    public UdpCapture()
    {
        // Forced past net.core.rmem_max where allowed (CAP_NET_ADMIN), like the ingest: a burst then
        // waits in the kernel while this thread waits for a core. Otherwise the kernel's cap applies,
        // and what it drops is counted (Drops).
        try
        {
            _socket.SetRawSocketOption(LinuxSockets.SolSocket, LinuxSockets.SoRcvBufForce, BitConverter.GetBytes(BufferBytes));
        }
        catch (SocketException)
        {
            _socket.ReceiveBufferSize = BufferBytes;
        }
        _socket.SetRawSocketOption(LinuxSockets.SolSocket, SoTimestampNs, BitConverter.GetBytes(1));
        _socket.ReceiveTimeout = 100;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        _stats = new KernelUdpStats((int)_socket.SafeHandle.DangerousGetHandle());
        _thread = new Thread(Receive) { IsBackground = true, Name = "udp-capture" };
        _thread.Start();
    }

    public int Port { get; }

    public string Target => $"127.0.0.1:{Port}";

    public int Count
    {
        get
        {
            ThrowIfFailed();
            lock (_frames)
                return _frames.Count;
        }
    }

    /// <summary>Datagrams the kernel dropped for want of room in this socket's buffer.</summary>
    public long Drops => _stats.ReadDrops() ?? 0;

    /// <summary>Every datagram so far, with the kernel's receive time (since the Unix epoch).</summary>
    public List<(TimeSpan At, byte[] Bytes)> Frames()
    {
        ThrowIfFailed();
        lock (_frames)
            return [.. _frames];
    }

    /// <summary>
    /// Waits until all <paramref name="sent"/> datagrams reached the socket (received, or dropped by
    /// the kernel), then requires that none was dropped and returns them.
    /// </summary>
    public async Task<List<(TimeSpan At, byte[] Bytes)>> AllOf(long sent)
    {
        await Eventually.Equal(sent, () => Count + Drops, "datagrams captured + dropped by the kernel");
        Assert.True(Drops == 0, $"the capture socket dropped {Drops} of {sent} datagrams: its buffer ({_socket.ReceiveBufferSize} bytes) is only forced past net.core.rmem_max with CAP_NET_ADMIN");
        return Frames();
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _socket.Dispose();
    }

    private void ThrowIfFailed()
    {
        if (_failure is { } failure)
            throw new InvalidOperationException("the capture thread failed", failure);
    }

    private void Receive()
    {
        try
        {
            ReceiveLoop();
        }
#pragma warning disable CA1031 // kept and rethrown to the test by Count and Frames: an exception on this thread would end the test run
        catch (Exception e)
#pragma warning restore CA1031
        {
            _failure = e;
        }
    }

    private unsafe void ReceiveLoop()
    {
        int fd = (int)_socket.SafeHandle.DangerousGetHandle();
        var buffer = new byte[65_536];
        byte* control = stackalloc byte[64];
        fixed (byte* data = buffer)
        {
            var iov = new IoVec { Base = data, Length = (nuint)buffer.Length };
            while (!_stopping)
            {
                var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = 64 };
                long n = RecvMsg(fd, &message, 0);
                if (n < 0)
                {
                    int errno = Marshal.GetLastPInvokeError();
                    if (errno is Errno.EAGAIN or Errno.EINTR)
                        continue; // the receive timeout: look at _stopping
                    throw new SocketException(errno);
                }
                var at = KernelTime(&message);
                lock (_frames)
                    _frames.Add((at, buffer.AsSpan(0, (int)n).ToArray()));
            }
        }
    }

    /// <summary>The SCM_TIMESTAMPNS control message: struct cmsghdr (16 bytes) then a struct timespec.</summary>
    private static unsafe TimeSpan KernelTime(MsgHdr* message)
    {
        var cmsg = (byte*)message->Control;
        if (message->ControlLength < 32 || *(int*)(cmsg + 8) != LinuxSockets.SolSocket || *(int*)(cmsg + 12) != SoTimestampNs)
            throw new InvalidOperationException("a datagram came without its kernel timestamp");
        long seconds = *(long*)(cmsg + 16), nanoseconds = *(long*)(cmsg + 24);
        return TimeSpan.FromSeconds(seconds) + TimeSpan.FromTicks(nanoseconds / 100);
    }

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static unsafe partial nint RecvMsg(int fd, MsgHdr* message, int flags);
}
