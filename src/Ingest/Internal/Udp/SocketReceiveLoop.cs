using System.Net;
using System.Net.Sockets;
using Presence.Core.Interop;
using Presence.Ingest.Internal.Intake;

namespace Presence.Ingest.Internal.Udp;

/// <summary>
/// Portable receive: Socket.ReceiveFrom into a span with a reused SocketAddress (no allocation),
/// one datagram per call, gathered into a batch while more are queued.
/// </summary>
internal sealed class SocketReceiveLoop : ReceiveLoop
{
    private readonly byte[] _buffers = GC.AllocateArray<byte>(DatagramsPerBatch * SlotSize, pinned: true);
    private readonly int[] _lengths = new int[DatagramsPerBatch];
    private readonly SocketAddress _from;

    public SocketReceiveLoop(Socket socket, ReceiveContext context, string name, int queueWaitLimitMs, int pauseMs)
        : base(socket, context, name, queueWaitLimitMs, pauseMs)
        => _from = new SocketAddress(socket.AddressFamily);

    protected override int ReceiveBatch()
    {
        int n = 0;
        try
        {
            if (Stopping && Socket.Available == 0)
                return 0; // stopping: take what is queued, never wait
            do
            {
                try
                {
                    _lengths[n] = Socket.ReceiveFrom(_buffers.AsSpan(n * SlotSize, SlotSize), SocketFlags.None, _from);
                }
                catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
                {
                    _lengths[n] = -1; // larger than a slot: counted as too long
                }
                n++;
            }
            while (n < DatagramsPerBatch && Socket.Available > 0);
            return n;
        }
        catch (SocketException) when (n > 0)
        {
            return n;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode switch
            {
                SocketError.TimedOut or SocketError.WouldBlock => 0,
                SocketError.Interrupted => -Errno.EINTR,
                SocketError.NoBufferSpaceAvailable => -Errno.ENOBUFS,
                _ => -Math.Max(1, e.NativeErrorCode),
            };
        }
        catch (ObjectDisposedException)
        {
            return -Errno.EBADF;
        }
    }

    protected override ReadOnlySpan<byte> Datagram(int index, out bool truncated)
    {
        int length = _lengths[index];
        truncated = length < 0;
        return _buffers.AsSpan(index * SlotSize, Math.Max(length, 0));
    }
}
