using Presence.Core.Events;
using Presence.Integration.Tests.Ingest;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Events;

/// <summary>
/// The transitions real ingesters append to the events log (real redis-server, heartbeats over
/// UDP on 127.0.0.1), read straight from the log: one user's online → timeout → online, and one
/// user written by two ingesters at once.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class IngestTransitionTests(RedisFixture redis)
{
    private const int TtlSeconds = 5; // outlasts a stall between a key written and its read, on a loaded machine
    private const long TtlMs = TtlSeconds * 1000L;

    /// <summary>Waiting only: how long a transition may take to reach the log on a loaded machine. Nothing asserted depends on it.</summary>
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(60);

    /// <summary>The key's value and its expiry (PEXPIRETIME), read atomically; (0, -2) when there is no key.</summary>
    private const string ValueAndExpiry = "local v = redis.call('GET', KEYS[1]) return {v or '0', redis.call('PEXPIRETIME', KEYS[1])}";

    [Fact]
    public async Task OnlineTimeoutOnline_OneUser_LinesAlternate_AtNeverGoesBack_TimeoutAtLastReceivePlusTtl()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.TtlSeconds = TtlSeconds);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        const ulong user = 31;

        ingest.Heartbeat([user]);
        var (received, expiresAt) = await Eventually.Satisfy(() => ValueAndExpiryOf(db, prefix, user), k => k.Value != 0, "the user's key", s_wait);
        var first = await Eventually.Satisfy(() => Lines(db, prefix, user), l => l.Count >= 1, "the online line", s_wait);
        Assert.Equal((TransitionKind.Online, received), (first[0].Kind, first[0].AtMs)); // at = the receive time the key holds
        Assert.InRange(expiresAt, received + TtlMs, received + TtlMs + 1000); // never early; late by the write's latency only

        var second = await Eventually.Satisfy(() => Lines(db, prefix, user), l => l.Count >= 2, "the timeout line", s_wait);
        Assert.Equal((TransitionKind.Timeout, received + TtlMs), (second[1].Kind, second[1].AtMs)); // exactly last receive + ttl
        Assert.False(await db.KeyExistsAsync(IngestTestHost.Key(prefix, user)), "the timeout is appended only once the key is gone");

        ingest.Heartbeat([user]);
        var (again, _) = await Eventually.Satisfy(() => ValueAndExpiryOf(db, prefix, user), k => k.Value != 0, "the user's new key", s_wait);
        var third = await Eventually.Satisfy(() => Lines(db, prefix, user), l => l.Count >= 3, "the second online line", s_wait);
        Assert.Equal((TransitionKind.Online, again), (third[2].Kind, third[2].AtMs));
        Assert.True(third[2].AtMs >= third[1].AtMs, $"online at {third[2].AtMs} before the timeout at {third[1].AtMs}");
        Assert.Equal(3, third.Count);
        Assert.Equal(third.Select(l => l.Seq).Order(), third.Select(l => l.Seq));
    }

    [Fact]
    public async Task TwoIngestersWriteOneUserAtOnce_OneOnlineLine_LinesAlternate_KeyNeverOutlivesItsReceivePlusTtl()
    {
        var prefix = TestKeys.Prefix();
        await using var a = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.TtlSeconds = TtlSeconds);
        await using var b = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.TtlSeconds = TtlSeconds);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        const ulong user = 32;

        // Both receive the user's heartbeats, interleaved, for over a ttl (a device whose datagrams
        // are spread over two ingesters by --reuseport, compressed); the key is read after each pair.
        for (int round = 0; round < 40; round++)
        {
            a.Heartbeat([user]);
            b.Heartbeat([user]);
            await Task.Delay(100); // pacing the sender, not waiting for a result
            var (value, expiresAt) = await ValueAndExpiryOf(db, prefix, user);
            if (value == 0)
                continue; // not written yet
            // Expires at its own receive + ttl, plus the write's latency; never later than the latest
            // receive + ttl by more (a write waiting in a backlog no longer adds its wait).
            Assert.InRange(expiresAt, value + TtlMs, value + TtlMs + 1000);
        }

        var lines = await Eventually.Satisfy(() => Lines(db, prefix, user), l => l.Count >= 2, "the user's timeout after its last heartbeat", s_wait);
        await Eventually.Until(() => a.Metrics.TrackedUsers.Value == 0 && b.Metrics.TrackedUsers.Value == 0, "both ingesters let the user go", s_wait);
        lines = await Lines(db, prefix, user);
        Assert.Equal([TransitionKind.Online, TransitionKind.Timeout], lines.Select(l => l.Kind)); // exactly one online period
        Assert.True(lines[1].AtMs >= lines[0].AtMs);
        Assert.False(await db.KeyExistsAsync(IngestTestHost.Key(prefix, user)));
    }

    [Fact]
    public async Task EventsNumberedLines_LinesCarryTheirNumber_WithoutIt_NumberedByPlace()
    {
        // docs/DEPLOY.md, "Upgrades": --events-numbered-lines keeps the form older query nodes need; by default a line has no number.
        var prefix = TestKeys.Prefix();
        await using var numbered = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.EventsNumberedLines = true);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var log = new EventLogKeys(prefix).Log;

        numbered.Heartbeat([41]);
        var first = await Eventually.Satisfy<string?>(async () => (string?)await db.ListGetByIndexAsync(log, 0), l => l is not null, "the first online line", s_wait);
        Assert.StartsWith("1 n 41 ", first, StringComparison.Ordinal);

        await using var placed = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix);
        placed.Heartbeat([42]);
        var second = await Eventually.Satisfy<string?>(async () => (string?)await db.ListGetByIndexAsync(log, 1), l => l is not null, "the second online line", s_wait);
        Assert.StartsWith("n 42 ", second, StringComparison.Ordinal);
        Assert.Equal([(1L, 41UL), (2L, 42UL)], (await EventLogLines.ReadAsync(db, new EventLogKeys(prefix))).Select(l => (l.Seq, l.UserId)));
    }

    private static async Task<(long Value, long ExpiresAt)> ValueAndExpiryOf(IDatabase db, string prefix, ulong user)
    {
        var result = (RedisResult[])(await db.ScriptEvaluateAsync(ValueAndExpiry, [IngestTestHost.Key(prefix, user)]))!;
        return ((long)result[0], (long)result[1]);
    }

    private static async Task<List<EventLogLine>> Lines(IDatabase db, string prefix, ulong user)
    {
        var lines = await EventLogLines.ReadAsync(db, new EventLogKeys(prefix));
        return lines.Where(l => l.UserId == user).ToList();
    }
}
