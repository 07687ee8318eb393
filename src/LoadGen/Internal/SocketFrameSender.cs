using System.Net;
using System.Net.Sockets;

namespace Presence.LoadGen.Internal;

/// <summary>
/// One <c>Socket.SendTo(ReadOnlySpan, SocketFlags, SocketAddress)</c> per frame: no allocation per
/// send, one system call per frame. Portable; the fallback where sendmmsg is not available.
/// </summary>
internal sealed class SocketFrameSender : IFrameSender
{
    private readonly Socket _socket;
    private readonly SocketAddress _target;

    public SocketFrameSender(IPEndPoint target)
    {
        _socket = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _target = target.Serialize();
    }

    public string Name => "socket";

    public SendResult Send(FrameBatch batch)
    {
        int sent = 0, records = 0, errors = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            try
            {
                _socket.SendTo(batch.Frame(i), SocketFlags.None, _target);
                sent++;
                records += batch.Records(i);
            }
            catch (SocketException e) when (SendErrors.IsTransient(e.SocketErrorCode))
            {
                batch.MarkRefused(i);
                errors++;
            }
        }
        return new SendResult(sent, records, errors);
    }

    public void Dispose() => _socket.Dispose();
}
