using StackExchange.Redis;

namespace Presence.Hosting;

/// <summary>
/// What both services ask of the store's shape before they talk to it over a connection of their
/// own (the ingest's direct writer, the query's read pipeline) rather than through the
/// StackExchange.Redis multiplexer.
/// </summary>
public static class StoreTopology
{
    /// <summary>What the multiplexer's <c>HashSlot</c> says for every key while the store is not a cluster.</summary>
    public const int NoSlot = -1;

    private static readonly RedisKey s_anyKey = "presence";

    /// <summary>
    /// Whether a plain connection of the service's own can reach the store <paramref name="options"/>
    /// describe: exactly one endpoint, no TLS, no sentinel, no proxy or tunnel. Whether that endpoint
    /// is a cluster node is known only once connected: <see cref="IsCluster"/>.
    /// </summary>
    public static bool OneNodeInTheClear(ConfigurationOptions options) =>
        options.EndPoints.Count == 1 && !options.Ssl && options.ServiceName is null && options.Proxy == Proxy.None && options.Tunnel is null;

    /// <summary>Whether the multiplexer has found the store to be a Redis Cluster (it maps keys to slots then).</summary>
    public static bool IsCluster(IConnectionMultiplexer multiplexer) => multiplexer.HashSlot(s_anyKey) != NoSlot;
}
