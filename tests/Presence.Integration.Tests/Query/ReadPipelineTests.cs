using System.Diagnostics;
using Presence.Query.Internal.Store;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Query;

/// <summary>
/// The query path's own pipelined store connection against real redis-server processes: replies go
/// to the reads that asked, in any interleaving; a paused, stopped or refusing store fails reads
/// within the timeout and never mixes a late reply into a later read.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ReadPipelineTests(RedisFixture redis)
{
    private const string Acl = "user default off\nuser admin on >admin-pw ~* &* +@all\nuser reader on >s3cret ~* +@all\n";

    private static readonly TimeSpan s_timeout = TimeSpan.FromMilliseconds(500);

    /// <summary>The timeout plus room for a busy 2-core machine.</summary>
    private static readonly TimeSpan s_answerWithin = s_timeout + TimeSpan.FromMilliseconds(2500);

    [Fact]
    public async Task GetAsync_ManyConcurrentReads_EachGetsItsOwnValues()
    {
        var prefix = TestKeys.Prefix();
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        for (int id = 1; id <= 200; id += 2)
            await db.StringSetAsync(prefix + id, 1_000_000 + id, TimeSpan.FromMinutes(1));
        await db.StringSetAsync(prefix + "3", "not a number", TimeSpan.FromMinutes(1));
        await using var pipeline = await ConnectedAsync(redis.Server.Configuration);
        var prefixBytes = System.Text.Encoding.UTF8.GetBytes(prefix);

        var reads = Enumerable.Range(0, 400).Select(async n =>
        {
            var random = new Random(n);
            var ids = Enumerable.Range(0, 1 + random.Next(60)).Select(_ => (ulong)random.Next(1, 201)).Distinct().ToArray();
            await Task.Yield();
            var values = new long[ids.Length];
            var status = await pipeline.GetAsync(prefixBytes, ids, values);
            return (ids, status, values);
        });

        foreach (var (ids, status, values) in await Task.WhenAll(reads))
        {
            Assert.Equal(StoreStatus.Ok, status);
            for (int i = 0; i < ids.Length; i++)
                Assert.Equal(Expected(ids[i]), values[i]);
        }
    }

    [Fact]
    public async Task GetAsync_StorePaused_TimedOutWithinTimeout_LateRepliesNeverReachLaterReads()
    {
        using var server = RedisServer.Start();
        var prefix = TestKeys.Prefix();
        using (var mux = await ConnectionMultiplexer.ConnectAsync(server.Configuration))
        {
            await mux.GetDatabase().StringSetAsync(prefix + "1", 111, TimeSpan.FromMinutes(5));
            await mux.GetDatabase().StringSetAsync(prefix + "2", 222, TimeSpan.FromMinutes(5));
        }
        await using var pipeline = await ConnectedAsync(server.Configuration);
        var prefixBytes = System.Text.Encoding.UTF8.GetBytes(prefix);

        var values = new long[2];
        server.Pause();
        try
        {
            var clock = Stopwatch.StartNew();
            Assert.Equal(StoreStatus.TimedOut, await pipeline.GetAsync(prefixBytes, [1, 2], values));
            Assert.True(clock.Elapsed >= s_timeout * 0.9 && clock.Elapsed < s_answerWithin, $"timed out after {clock.Elapsed}");
            Assert.Equal(StoreStatus.TimedOut, await pipeline.PingAsync());
        }
        finally
        {
            server.Resume();
        }

        // The replies to the reads above now arrive first; each later read still gets its own.
        await Eventually.Until(async () => await pipeline.PingAsync() == StoreStatus.Ok, "the store answers again after resume");
        var one = new long[1];
        Assert.Equal(StoreStatus.Ok, await pipeline.GetAsync(prefixBytes, [2], one));
        Assert.Equal(222, one[0]);
        Assert.Equal([0L, 0L], values); // the read that gave up was never written to, not even by its late reply
    }

    [Fact]
    public async Task GetAsync_StoreStopped_UnavailableAtOnce_ThenReconnectsAfterRestart()
    {
        using var server = RedisServer.Start();
        var prefix = TestKeys.Prefix();
        await using var pipeline = await ConnectedAsync(server.Configuration);
        var prefixBytes = System.Text.Encoding.UTF8.GetBytes(prefix);

        server.Stop();

        await Eventually.Until(() => !pipeline.Connected, "the pipeline sees the connection end");
        var clock = Stopwatch.StartNew();
        Assert.Equal(StoreStatus.Unavailable, await pipeline.GetAsync(prefixBytes, [1], new long[1]));
        Assert.True(clock.Elapsed < s_answerWithin, $"took {clock.Elapsed}");
        Assert.Contains("no connection", pipeline.LastError, StringComparison.Ordinal);

        server.Restart();
        using (var mux = await ConnectionMultiplexer.ConnectAsync(server.Configuration))
            await mux.GetDatabase().StringSetAsync(prefix + "5", 555, TimeSpan.FromMinutes(1));

        await Eventually.Until(() => pipeline.Connected, "the pipeline reconnects after the restart");
        var values = new long[1];
        Assert.Equal(StoreStatus.Ok, await pipeline.GetAsync(prefixBytes, [5], values));
        Assert.Equal(555, values[0]);
    }

    [Fact]
    public async Task GetAsync_UserPasswordAndDatabase_SetUpBeforeReads()
    {
        using var server = RedisServer.StartWithAcl(Acl, ("admin", "admin-pw"));
        var configuration = $"{server.Configuration},user=reader,password=s3cret,defaultDatabase=3";
        var prefix = TestKeys.Prefix();
        using (var mux = await ConnectionMultiplexer.ConnectAsync(configuration))
            await mux.GetDatabase().StringSetAsync(prefix + "9", 999, TimeSpan.FromMinutes(1));
        await using var pipeline = await ConnectedAsync(configuration);

        var values = new long[1];
        Assert.Equal(StoreStatus.Ok, await pipeline.GetAsync(System.Text.Encoding.UTF8.GetBytes(prefix), [9], values));

        Assert.Equal(999, values[0]); // found only in database 3, and only after AUTH as reader
    }

    [Fact]
    public async Task GetAsync_WrongPassword_UnavailableWithTheStoresReason()
    {
        using var server = RedisServer.StartWithAcl(Acl, ("admin", "admin-pw"));
        await using var pipeline = new ReadPipeline(ConfigurationOptions.Parse($"{server.Configuration},user=reader,password=wrong"), s_timeout);

        await Eventually.Until(
            async () => await pipeline.GetAsync("p:"u8, [1], new long[1]) == StoreStatus.Unavailable
                && pipeline.LastError.Contains("refused the connection's set-up: WRONGPASS", StringComparison.Ordinal),
            "reads fail as unavailable, with the store's refusal as the reason");
        Assert.False(pipeline.Connected);
    }

    private static long Expected(ulong id) => id == 3 ? PresenceStore.UnknownTime : id % 2 == 1 ? 1_000_000 + (long)id : PresenceStore.Offline;

    private static async Task<ReadPipeline> ConnectedAsync(string configuration)
    {
        var pipeline = new ReadPipeline(ConfigurationOptions.Parse(configuration), s_timeout);
        await Eventually.Until(() => pipeline.Connected, $"the pipeline connects to {configuration}");
        return pipeline;
    }
}
