namespace Presence.Testing;

/// <summary>
/// One <see cref="RedisCluster"/> per test class (xunit IClassFixture): three redis-server
/// processes, always stopped when the class is done (and, should the run be aborted, by
/// <see cref="RedisServer"/>'s exit hook).
/// </summary>
public sealed class RedisClusterFixture : IDisposable
{
    public RedisClusterFixture() => Cluster = RedisCluster.Start();

    public RedisCluster Cluster { get; }

    public void Dispose() => Cluster.Dispose();
}
