using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Presence.Bench.EndToEnd;

/// <summary>The benchmark's own redis-server on a free port of 127.0.0.1, no persistence.</summary>
internal sealed class RedisServer : IDisposable
{
    private readonly Child _child;

    private RedisServer(Child child, int port)
    {
        _child = child;
        Port = port;
    }

    public int Port { get; }

    public int Pid => _child.Process.Id;

    public static RedisServer Start()
    {
        int port = Ports.FreeTcp();
        var child = Cmd.Start("redis-server", "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--logfile", "");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return new RedisServer(child, port);
            }
            catch (SocketException)
            {
                Thread.Sleep(100);
            }
        }
        throw new TimeoutException($"redis-server did not listen on {port}: {child.Stderr}{child.Stdout}");
    }

    public void Dispose()
    {
        if (!_child.Process.HasExited)
        {
            Signals.Terminate(_child.Process.Id);
            if (!_child.Process.WaitForExit(TimeSpan.FromSeconds(10)))
                _child.Process.Kill();
        }
        _child.Process.Dispose();
    }
}
