using System.Net;
using System.Net.Sockets;
using Garnet;
using StackExchange.Redis;
using Presence.Hosting;
using Presence.Ingest.Internal.Infrastructure;

namespace Presence.Ingest.Internal.Store;

/// <summary>
/// The store the ingester writes to: the Redis named by --redis, or, without it, a Garnet server
/// hosted in this process on 127.0.0.1 (zero install). Either way it is reached over RESP with
/// StackExchange.Redis, so the write path is the same.
/// </summary>
internal sealed class StoreConnection : IAsyncDisposable
{
    private readonly GarnetServer? _garnet;

    private StoreConnection(ConnectionMultiplexer multiplexer, ConfigurationOptions configuration, GarnetServer? garnet, string description, int asyncTimeoutMs)
    {
        Multiplexer = multiplexer;
        Configuration = configuration;
        AsyncTimeoutMs = asyncTimeoutMs;
        _garnet = garnet;
        Description = description;
    }

    public ConnectionMultiplexer Multiplexer { get; }

    public string Description { get; }

    /// <summary>The client's settings (--redis with the ingester's laid over it): also what a direct writer connects with.</summary>
    public ConfigurationOptions Configuration { get; }

    /// <summary>
    /// Whether writes can go over a connection of the ingester's own (<see cref="DirectStoreWriter"/>):
    /// exactly one endpoint, no TLS, no sentinel, no proxy or tunnel. Whether that endpoint is a
    /// cluster node is known only once connected: <see cref="IsCluster"/>, asked per chunk.
    /// </summary>
    public bool CanWriteDirect => StoreTopology.OneNodeInTheClear(Configuration);

    /// <summary>Whether the store client has found the store to be a Redis Cluster (it maps keys to slots then).</summary>
    public bool IsCluster => StoreTopology.IsCluster(Multiplexer);

    /// <summary>The client's timeout for an async command (--store-timeout-ms, unless --redis sets asyncTimeout).</summary>
    public int AsyncTimeoutMs { get; }

    /// <summary>How long to wait for a command's answer before taking it as lost (<see cref="AnswerBound"/>).</summary>
    public TimeSpan AnswerWithin => AnswerBound.For(AsyncTimeoutMs);

    /// <summary>Port of the embedded store, when there is one.</summary>
    public int? EmbeddedPort { get; private init; }

    public static async Task<StoreConnection> OpenAsync(IngestOptions options, ILoggerFactory loggerFactory, ILogger logger)
    {
        GarnetServer? garnet = null;
        string configuration;
        int? embeddedPort = null;
        if (options.Redis is null)
        {
            int port = options.EmbeddedPort == 0 ? FreeTcpPort() : options.EmbeddedPort;
            garnet = StartGarnet(port, new EmbeddedStoreLoggerFactory(loggerFactory));
            embeddedPort = port;
            configuration = $"127.0.0.1:{port}";
            IngestLog.EmbeddedStarted(logger, GarnetVersion, port);
        }
        else
        {
            configuration = options.Redis;
        }

        var config = Configure(configuration, options.StoreTimeoutMs, options.RedisPassword);
        try
        {
            var mux = await ConnectionMultiplexer.ConnectAsync(config).ConfigureAwait(false);
            var description = garnet is null ? $"redis {string.Join(",", config.EndPoints)}" : $"embedded Garnet on {configuration}";
            return new StoreConnection(mux, config, garnet, description, config.AsyncTimeout) { EmbeddedPort = embeddedPort };
        }
        catch
        {
            garnet?.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Client settings for a store that may be away: never abort at start (the ingester holds
    /// users until the store comes), fail commands fast while disconnected rather than queue
    /// them (the flusher holds and retries them itself), and time out commands after
    /// --store-timeout-ms. Whatever the --redis string sets explicitly wins. A password from
    /// --redis-password-file is laid over it (options validation refused one given twice).
    /// </summary>
    internal static ConfigurationOptions Configure(string configuration, int timeoutMs, string? password = null)
    {
        ConfigurationOptions config;
        try
        {
            config = ConfigurationOptions.Parse(configuration);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--redis: {e.Message}", e);
        }
        bool Has(string name) => configuration.Contains(name + "=", StringComparison.OrdinalIgnoreCase);
        if (!Has("abortConnect"))
            config.AbortOnConnectFail = false;
        if (!Has("asyncTimeout"))
            config.AsyncTimeout = timeoutMs;
        if (!Has("syncTimeout"))
            config.SyncTimeout = timeoutMs;
        if (!Has("connectTimeout"))
            config.ConnectTimeout = Math.Min(timeoutMs, 5000);
        config.BacklogPolicy = BacklogPolicy.FailFast;
        if (!Has("name"))
            config.ClientName = "presence-ingest";
        if (password is not null)
            config.Password = password;
        return config;
    }

    /// <summary>The embedded Garnet's version, e.g. 2.2.8.</summary>
    private static string GarnetVersion => typeof(GarnetServer).Assembly.GetName().Version?.ToString(3) ?? "?";

    private static GarnetServer StartGarnet(int port, ILoggerFactory loggerFactory)
    {
        // One option (and its value) a line, so adding one is a one-line change.
        List<string> args =
        [
            "--bind", "127.0.0.1",
            "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            // Memory only (no checkpoints, no AOF); a modest index: presence keys are small and few per user.
            "--index", "64m",
            "--memory", "2g",
            "--page", "8m",
            // Garnet expires keys with PX on access and in periodic scans.
            "--expired-key-deletion-scan-freq", "10",
            "--lua", // the events log's scripts
            // Quiet: no banner on stdout; what it says is in the ingest's log (EmbeddedStarted), and
            // Garnet's own warnings and errors go there too (EmbeddedStoreLoggerFactory).
            "-q",
        ];
        var server = new GarnetServer([.. args], loggerFactory);
        try
        {
            server.Start();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await Multiplexer.CloseAsync().ConfigureAwait(false);
        Multiplexer.Dispose();
        _garnet?.Dispose();
    }
}
