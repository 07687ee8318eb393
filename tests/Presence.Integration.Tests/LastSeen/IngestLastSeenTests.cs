using Presence.Core;
using Presence.Core.LastSeen;
using Presence.Integration.Tests.Ingest;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.LastSeen;

/// <summary>
/// Real ingesters (heartbeats over UDP on 127.0.0.1) against a real redis-server: the last seen a user's
/// offline leaves in its bucket (docs/HTTP-API.md, "Last seen"), how many writes that costs, retention 0,
/// and the trim.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class IngestLastSeenTests(RedisFixture redis)
{
    private const int TtlSeconds = 4; // the sign-out comes before the leaving user's key lapses, on a loaded machine too

    /// <summary>Waiting only: how long a transition may take on a loaded machine. Nothing asserted depends on it.</summary>
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(60);

    private static async Task<long?> StoredLastSeen(IDatabase db, string prefix, ulong user)
    {
        var value = await db.HashGetAsync(new LastSeenKeys(prefix).KeyOf(user), LastSeenKeys.Field(user));
        return value.IsNull ? null : (long)value;
    }

    /// <summary>The receive time a user's presence key holds, 0 without one.</summary>
    private static async Task<long> StoredTime(IDatabase db, string prefix, ulong user) => (long)await db.StringGetAsync(IngestTestHost.Key(prefix, user));

    [Fact]
    public async Task TimeoutAndSignout_EachWriteTheLastReceiveInWholeSeconds_OnceAnOfflineTransition()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.TtlSeconds = TtlSeconds);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        const ulong silent = 41, leaving = 42;

        ingest.Heartbeat([silent, leaving]);
        var received = await Eventually.Satisfy<long>(() => StoredTime(db, prefix, silent), v => v != 0, "the silent user's key", s_wait);
        Assert.Null(await StoredLastSeen(db, prefix, silent)); // online: nothing written per heartbeat
        var leavingReceived = await Eventually.Satisfy<long>(() => StoredTime(db, prefix, leaving), v => v != 0, "the leaving user's key", s_wait);

        ingest.Heartbeat([leaving], kind: RecordKind.Offline);
        var signedOut = await Eventually.Satisfy<long?>(() => StoredLastSeen(db, prefix, leaving), v => v is not null, "the sign-out's last seen", s_wait);
        Assert.InRange(signedOut!.Value * 1000, leavingReceived - 999, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()); // the sign-out's receive, after the heartbeat's

        var timedOut = await Eventually.Satisfy<long?>(() => StoredLastSeen(db, prefix, silent), v => v is not null, "the timeout's last seen", s_wait);
        Assert.Equal(received / 1000, timedOut); // the last heartbeat's receive time, rounded down to the second

        // One write per offline transition: two offlines, two writes, none while online.
        await Eventually.Equal(2, () => ingest.Metrics.LastSeenWrites.WithLabels("written").Value, "last seen writes counted", s_wait);
        Assert.Equal(0, ingest.Metrics.LastSeenWrites.WithLabels("failed").Value);
        var ttl = await db.KeyTimeToLiveAsync(new LastSeenKeys(prefix).KeyOf(silent));
        Assert.InRange(ttl!.Value.TotalSeconds, (30 * 86_400) + 3_500, (30 * 86_400) + 3_600); // the bucket lives the retention and an hour
    }

    [Fact]
    public async Task RetentionZero_NothingWritten()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o =>
        {
            o.TtlSeconds = TtlSeconds;
            o.LastSeenDays = 0;
        });
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        const ulong user = 43;

        ingest.Heartbeat([user]);
        await Eventually.Until(async () => await db.KeyExistsAsync(IngestTestHost.Key(prefix, user)), "the user's key", s_wait);
        ingest.Heartbeat([user], kind: RecordKind.Offline);
        // The log of this test's prefix: line 1 the online, line 2 the sign-out.
        await Eventually.Until(() => ingest.Metrics.EventLogLastSeq.Value >= 2, "the sign-out appended to the events log", s_wait);

        Assert.Null(await StoredLastSeen(db, prefix, user));
        Assert.Equal(0, ingest.Metrics.LastSeenWrites.WithLabels("written").Value);
    }

    [Fact]
    public async Task Trim_ForgetsWhatIsOlderThanTheRetention_KeepsTheRest()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.LastSeenDays = 1);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new LastSeenKeys(prefix);
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        // Two users of one bucket: one seen two days ago, one an hour ago.
        const ulong old = 44;
        ulong recent = Enumerable.Range(45, 1_000_000).Select(i => (ulong)i).First(u => LastSeenKeys.Bucket(u) == LastSeenKeys.Bucket(old));
        await db.HashSetAsync(keys.KeyOf(old), [new(LastSeenKeys.Field(old), now - (2 * 86_400)), new(LastSeenKeys.Field(recent), now - 3_600)]);

        long? forgotten = await ingest.Host.TrimLastSeenForTestsAsync(LastSeenKeys.Bucket(old));

        Assert.Equal(1, forgotten);
        Assert.Null(await StoredLastSeen(db, prefix, old));
        Assert.Equal(now - 3_600, await StoredLastSeen(db, prefix, recent));
        Assert.Equal(1, ingest.Metrics.LastSeenForgotten.Value);
    }
}
