using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Presence.Integration.Tests.LoadGen;

/// <summary>
/// The receiving end for load generator tests: a real UDP socket on 127.0.0.1 (port 0) that keeps
/// a copy of every datagram and when it arrived.
/// </summary>
internal sealed class UdpCapture : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly List<(TimeSpan At, byte[] Bytes)> _frames = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Thread _thread;
    private volatile bool _stopping;

    public UdpCapture()
    {
        _socket.ReceiveBufferSize = 8 << 20;
        _socket.ReceiveTimeout = 100;
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
        _thread = new Thread(Receive) { IsBackground = true, Name = "udp-capture" };
        _thread.Start();
    }

    public int Port { get; }

    public string Target => $"127.0.0.1:{Port}";

    public int Count
    {
        get
        {
            lock (_frames)
                return _frames.Count;
        }
    }

    public List<(TimeSpan At, byte[] Bytes)> Frames()
    {
        lock (_frames)
            return [.. _frames];
    }

    public void Dispose()
    {
        _stopping = true;
        _thread.Join();
        _socket.Dispose();
    }

    private void Receive()
    {
        var buffer = new byte[65_536];
        while (!_stopping)
        {
            int n;
            try
            {
                n = _socket.Receive(buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.TimedOut or SocketError.WouldBlock)
            {
                continue;
            }
            var at = _clock.Elapsed;
            lock (_frames)
                _frames.Add((at, buffer.AsSpan(0, n).ToArray()));
        }
    }
}
