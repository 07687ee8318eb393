using Presence.Core.LastSeen;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.LastSeen;

/// <summary>
/// The last seen store's scripts (<see cref="LastSeenScripts"/>) against a real redis-server: the
/// later time wins whatever order ingesters write in, a bucket lives for the retention after its
/// last write, and a trim forgets exactly the values before its cutoff.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class LastSeenScriptTests(RedisFixture redis)
{
    private static async Task<long> WriteAsync(IDatabase db, LastSeenKeys keys, ulong user, long seconds, int lifetimeSeconds = 86_400) =>
        (long)await db.ScriptEvaluateAsync(LastSeenScripts.Write, [keys.KeyOf(user)],
            [LastSeenKeys.Field(user), LastSeenTime.Format(seconds), lifetimeSeconds]);

    [Fact]
    public async Task Write_AnOlderTimeAfterANewer_KeepsTheNewer()
    {
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new LastSeenKeys(TestKeys.Prefix());

        Assert.Equal(1, await WriteAsync(db, keys, 42, 1_764_270_100));
        Assert.Equal(0, await WriteAsync(db, keys, 42, 1_764_270_000));
        Assert.Equal("1764270100", (string?)await db.HashGetAsync(keys.KeyOf(42), LastSeenKeys.Field(42)));
        Assert.Equal(1, await WriteAsync(db, keys, 42, 1_764_270_200));
        Assert.Equal("1764270200", (string?)await db.HashGetAsync(keys.KeyOf(42), LastSeenKeys.Field(42)));
    }

    [Fact]
    public async Task Write_KeepsTheBucketForTheLifetimeFromNow()
    {
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new LastSeenKeys(TestKeys.Prefix());

        await WriteAsync(db, keys, 7, 1_764_270_000, lifetimeSeconds: 1_000);
        var ttl = await db.KeyTimeToLiveAsync(keys.KeyOf(7));
        Assert.NotNull(ttl);
        Assert.InRange(ttl!.Value.TotalSeconds, 1, 1_000);
        await WriteAsync(db, keys, 7, 1_764_270_000, lifetimeSeconds: 5_000); // not newer: still extends the bucket
        Assert.InRange((await db.KeyTimeToLiveAsync(keys.KeyOf(7)))!.Value.TotalSeconds, 1_001, 5_000);
    }

    [Fact]
    public async Task Trim_ForgetsExactlyTheValuesBeforeTheCutoff()
    {
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new LastSeenKeys(TestKeys.Prefix());
        // Users of one bucket, found by their hash: the trim works on one bucket at a time.
        int bucket = LastSeenKeys.Bucket(1);
        var users = Enumerable.Range(1, 2_000_000).Select(i => (ulong)i).Where(u => LastSeenKeys.Bucket(u) == bucket).Take(6).ToArray();
        Assert.Equal(6, users.Length);
        for (int i = 0; i < users.Length; i++)
            await WriteAsync(db, keys, users[i], 1_000 + i); // 1000 … 1005

        var forgotten = (long)await db.ScriptEvaluateAsync(LastSeenScripts.Trim, [keys.BucketKey(bucket)], [1_003]);

        Assert.Equal(3, forgotten);
        var left = (await db.HashGetAllAsync(keys.BucketKey(bucket))).Select(e => ((string)e.Name!, (long)e.Value)).OrderBy(e => e.Item2).ToArray();
        Assert.Equal(users[3..].Select(u => (LastSeenKeys.Field(u), 1_000L + Array.IndexOf(users, u))), left);
        Assert.Equal(0, (long)await db.ScriptEvaluateAsync(LastSeenScripts.Trim, [keys.BucketKey(bucket)], [1_003]));
    }

    [Fact]
    public async Task Trim_OfAnEmptyOrMissingBucket_ForgetsNothing()
    {
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new LastSeenKeys(TestKeys.Prefix());
        Assert.Equal(0, (long)await db.ScriptEvaluateAsync(LastSeenScripts.Trim, [keys.BucketKey(0)], [long.MaxValue / 2]));
        Assert.False(await db.KeyExistsAsync(keys.BucketKey(0)));
    }

    [Fact]
    public async Task Bucket_OfAMillionUsers_StaysCompact()
    {
        // The memory figure in docs/SCALING.md rests on every bucket staying a listpack at 1M users
        // (Redis 7.0's default hash-max-listpack-entries is 128): the fullest bucket of 1M ids holds fewer.
        var counts = new int[LastSeenKeys.Buckets];
        for (ulong u = 10_000_001; u < 11_000_001; u++)
            counts[LastSeenKeys.Bucket(u)]++;
        Assert.True(counts.Max() < 128, $"fullest bucket {counts.Max()}");

        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new LastSeenKeys(TestKeys.Prefix());
        int fullest = Array.IndexOf(counts, counts.Max());
        var batch = db.CreateBatch();
        var writes = new List<Task>();
        for (ulong u = 10_000_001; u < 11_000_001; u++)
            if (LastSeenKeys.Bucket(u) == fullest)
                writes.Add(batch.ScriptEvaluateAsync(LastSeenScripts.Write, [keys.KeyOf(u)], [LastSeenKeys.Field(u), 1_764_270_000, 86_400]));
        batch.Execute();
        await Task.WhenAll(writes);
        Assert.Equal(counts.Max(), await db.HashLengthAsync(keys.BucketKey(fullest)));
        Assert.Equal("listpack", (string?)await db.ExecuteAsync("OBJECT", "ENCODING", keys.BucketKey(fullest)));
    }

    public static TheoryData<string> Stores => ["redis", "garnet"];

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Presence_OnlineGivesTheKeysString_OfflineItsLastSeenAsAnInteger_UnknownNil(string store)
    {
        using var garnet = store == "garnet" ? new Presence.Integration.Tests.Events.EmbeddedGarnet() : null;
        using var mux = await ConnectionMultiplexer.ConnectAsync(garnet?.Configuration ?? redis.Server.Configuration);
        var db = mux.GetDatabase();
        string prefix = TestKeys.Prefix();
        var keys = new LastSeenKeys(prefix);
        await db.StringSetAsync(prefix + "1", "1764270000123", TimeSpan.FromMinutes(1)); // online
        await WriteAsync(db, keys, 1, 1_764_260_000); // online and remembered: the key wins
        await WriteAsync(db, keys, 2, 1_764_269_000); // offline, remembered
        ulong[] users = [1, 2, 3];

        var reply = (RedisResult[])(await db.ScriptEvaluateAsync(LastSeenScripts.Presence,
            [.. users.Select(u => (RedisKey)(prefix + u)), .. users.Select(u => (RedisKey)keys.KeyOf(u))],
            [.. users.Select(u => (RedisValue)LastSeenKeys.Field(u))]))!;

        Assert.Equal(ResultType.BulkString, reply[0].Resp2Type);
        Assert.Equal("1764270000123", (string?)reply[0]);
        Assert.Equal(ResultType.Integer, reply[1].Resp2Type); // the type says offline with a last seen
        Assert.Equal(1_764_269_000, (long)reply[1]);
        Assert.True(reply[2].IsNull);
        Assert.Equal(LastSeenScripts.PresenceSha, (string?)await db.ExecuteAsync("SCRIPT", "LOAD", LastSeenScripts.Presence));
    }
}
