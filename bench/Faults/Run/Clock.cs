using System.Net;
using System.Net.Sockets;

namespace Presence.Bench.Faults.Run;

/// <summary>The run's one clock (Unix ms, shared by every process of the run), free ports, and bounded waits.</summary>
internal static class Clock
{
    public static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    public static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static int FreeUdpPort()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.LocalEndPoint!).Port;
    }

    /// <summary>Polls <paramref name="condition"/> every <paramref name="pollMs"/> until it holds; throws naming <paramref name="what"/> after <paramref name="limit"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what, CancellationToken cancel, int pollMs = 100)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            if (await condition())
                return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{what} not within {limit.TotalSeconds:0} s");
            await Task.Delay(pollMs, cancel);
        }
    }
}
