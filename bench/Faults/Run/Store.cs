using System.Diagnostics;
using System.Globalization;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Bench.Faults.Run;

/// <summary>
/// The run's store: one redis-server, or a 3-master Redis Cluster, on 127.0.0.1 or inside the run's
/// network namespace; and the run's own connection to it (named <see cref="ClientName"/>, so
/// <c>CLIENT KILL</c> spares it).
/// </summary>
internal sealed class Store : IAsyncDisposable
{
    public const string ClientName = "presence-faults";

    private ConnectionMultiplexer? _connection;

    private Store(IReadOnlyList<StoreNode> nodes, NetNs? netns, bool cluster)
    {
        Nodes = nodes;
        NetNs = netns;
        Cluster = cluster;
    }

    public IReadOnlyList<StoreNode> Nodes { get; }
    public NetNs? NetNs { get; }
    public bool Cluster { get; }

    /// <summary>The services' --redis value.</summary>
    public string ServiceConfiguration => string.Join(',', Nodes.Select(n => n.Endpoint)) + ",abortConnect=false";

    public IConnectionMultiplexer Connection => _connection ?? throw new InvalidOperationException("the store is not connected");

    public IDatabase Db => Connection.GetDatabase();

    public static async Task<Store> StartAsync(string root, bool cluster, NetNs? netns, CancellationToken cancel)
    {
        var nodes = new List<StoreNode>();
        int count = cluster ? 3 : 1;
        for (int i = 0; i < count; i++)
        {
            string host = netns?.InnerAddress ?? "127.0.0.1";
            int port = netns is null ? FreePort.Tcp() : 7001 + i;
            int bus = netns is null ? FreePort.Tcp() : 17001 + i;
            nodes.Add(new StoreNode(cluster ? $"redis-{i + 1}" : "redis-server", host, port, bus, Path.Combine(root, $"node{i + 1}"), netns, cluster));
        }
        var store = new Store(nodes, netns, cluster);
        foreach (var node in nodes)
            node.Start();
        foreach (var node in nodes)
            await store.WaitPingAsync(node, TimeSpan.FromSeconds(30), cancel);
        if (cluster)
        {
            ChildProcess.Run("redis-cli", TimeSpan.FromSeconds(60), ["--cluster", "create", .. nodes.Select(n => n.Endpoint), "--cluster-replicas", "0", "--cluster-yes"]);
            await store.WaitClusterOkAsync(TimeSpan.FromSeconds(60), cancel);
        }
        var options = new ConfigurationOptions
        {
            ClientName = ClientName,
            AbortOnConnectFail = false,
            ConnectTimeout = 2000,
            SyncTimeout = 2000,
            AsyncTimeout = 2000,
            ConnectRetry = 1,
        };
        foreach (var n in nodes)
            options.EndPoints.Add(n.Host, n.Port);
        store._connection = await ConnectionMultiplexer.ConnectAsync(options);
        return store;
    }

    /// <summary>Kills node <paramref name="node"/> (SIGKILL) and starts it again, with its data or without; waits until it answers PING (and the cluster is ok).</summary>
    public async Task RestartAsync(StoreNode node, bool keepData, CancellationToken cancel)
    {
        node.Kill();
        if (!keepData)
            node.Wipe();
        node.Start();
        await WaitPingAsync(node, TimeSpan.FromSeconds(60), cancel);
        if (Cluster)
            await WaitClusterOkAsync(TimeSpan.FromSeconds(60), cancel);
    }

    /// <summary>Waits until <paramref name="node"/> answers PING over a connection of its own (loading the AOF answers -LOADING).</summary>
    public async Task WaitPingAsync(StoreNode node, TimeSpan limit, CancellationToken cancel) =>
        await Clock.UntilAsync(() => Task.FromResult(Cli(node, "PING").StartsWith("PONG", StringComparison.Ordinal)), limit, $"{node.Name} answering PING", cancel, 200);

    private async Task WaitClusterOkAsync(TimeSpan limit, CancellationToken cancel) =>
        await Clock.UntilAsync(() => Task.FromResult(Nodes.All(n =>
        {
            var info = Cli(n, "CLUSTER", "INFO");
            return info.Contains("cluster_state:ok", StringComparison.Ordinal) && info.Contains("cluster_known_nodes:3", StringComparison.Ordinal);
        })), limit, "the cluster's state ok on every node", cancel, 200);

    /// <summary>One redis-cli command to one node (short timeout); its output, or the error's text.</summary>
    public static string Cli(StoreNode node, params string[] args)
    {
        var info = new ProcessStartInfo("redis-cli") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["-h", node.Host, "-p", node.Port.ToString(CultureInfo.InvariantCulture), .. args])
            info.ArgumentList.Add(a);
        info.Environment["REDISCLI_AUTH"] = null;
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(5_000))
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
                // gone meanwhile
            }
            return "timeout";
        }
        process.WaitForExit();
        return stdout.Result + stderr.Result;
    }

    /// <summary>
    /// CLIENT KILL of every connection but the run's own on every node: those named <see cref="ClientName"/> are spared
    /// (redis-cli's own is SKIPME). Returns how many were killed.
    /// </summary>
    public int KillServiceClients()
    {
        int killed = 0;
        foreach (var node in Nodes)
        {
            foreach (var line in Cli(node, "CLIENT", "LIST").Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                var fields = line.Split(' ').Select(f => f.Split('=', 2)).Where(f => f.Length == 2).ToDictionary(f => f[0], f => f[1]);
                if (!fields.TryGetValue("id", out var id) || fields.GetValueOrDefault("name") == ClientName || fields.GetValueOrDefault("cmd") == "client|list")
                    continue;
                if (Cli(node, "CLIENT", "KILL", "ID", id, "SKIPME", "yes").Trim() == "1")
                    killed++;
            }
        }
        return killed;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
            await _connection.DisposeAsync();
        foreach (var node in Nodes)
            node.Kill();
        foreach (var node in Nodes)
            node.Delete();
    }
}
