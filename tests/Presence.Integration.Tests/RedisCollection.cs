using Presence.Testing;

namespace Presence.Integration.Tests;

/// <summary>
/// Every integration test class joins this collection, so the assembly starts one shared
/// redis-server, and the classes run one after another (they time UDP and flushes, which a
/// second busy test on a 2-core machine would disturb).
/// </summary>
[CollectionDefinition(Name)]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>
{
    public const string Name = "redis";
}
