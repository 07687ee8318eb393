using Garnet;
using Presence.Testing;

namespace Presence.Integration.Tests.Events;

/// <summary>
/// A Garnet server in this process on a free port, with Lua on: the store the ingester embeds when
/// it is given no --redis (src/Ingest, StoreConnection), for tests that must hold on both stores.
/// </summary>
internal sealed class EmbeddedGarnet : IDisposable
{
    private readonly GarnetServer _server;

    public EmbeddedGarnet()
    {
        Port = FreePort.Tcp();
        _server = new GarnetServer(["--bind", "127.0.0.1", "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--index", "1m", "--memory", "64m", "--page", "1m", "--lua", "-q"]);
        try
        {
            _server.Start();
        }
        catch
        {
            _server.Dispose();
            throw;
        }
    }

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    public void Dispose() => _server.Dispose();
}
