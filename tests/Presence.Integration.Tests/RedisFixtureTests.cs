using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests;

[Collection(RedisCollection.Name)]
public sealed class RedisFixtureTests(RedisFixture redis)
{
    [Fact]
    public async Task SharedServer_SetWithExpiry_IsReadBackWithTtl()
    {
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var key = TestKeys.Prefix() + "1";

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(await db.StringSetAsync(key, "123", TimeSpan.FromSeconds(30)));

        Assert.Equal("123", (string?)await db.StringGetAsync(key));
        var ttl = await db.KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        // However long the round trips took, the TTL left is 30 s less at most that long (and 1 ms of rounding).
        Assert.InRange(ttl.Value, TimeSpan.FromSeconds(30) - clock.Elapsed - TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void OwnServer_StopAndRestart_AnswersAgainOnSamePort()
    {
        using var server = RedisServer.Start();
        server.Command("SET", "k", "v");
        server.Stop();
        Assert.False(server.IsRunning);

        server.Restart();

        Assert.True(server.IsRunning);
        Assert.StartsWith("$-1", server.Command("GET", "k")); // no persistence: the restart is empty
    }
}
