using Presence.Core.Events;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Events;

/// <summary>
/// The events log's typed calls (<see cref="EventLogAppendCall"/>, <see cref="EventLogReadCall"/>,
/// <see cref="EventLogSnapshotCall"/>: each script's argument layout and result decoding) against
/// the scripts themselves, on a real redis-server and on the embedded Garnet: what one call
/// stores, the others read back.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class EventLogCallsTests(RedisFixture redis)
{
    public static TheoryData<string> Stores => ["redis", "garnet"];

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task AppendReadSnapshot_OneLog_ReadBackAsAppended(string store)
    {
        using var garnet = store == "garnet" ? new EmbeddedGarnet() : null;
        using var mux = await ConnectionMultiplexer.ConnectAsync(garnet?.Configuration ?? redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());

        var appended = await AppendAsync(db, keys, trimBeforeMs: 0, (TransitionKind.Online, 1_000_007, 1_000), (TransitionKind.Online, 1_000_008, 1_100), (TransitionKind.Timeout, 1_000_007, 2_000));
        Assert.Equal(3, appended.LastSeq);
        Assert.Equal(8, appended.Epoch.Length);
        var again = await AppendAsync(db, keys, trimBeforeMs: 0, (TransitionKind.Signout, 1_000_008, 2_500));
        Assert.Equal(new EventLogHead(appended.Epoch, 4), again); // the epoch offered again is not taken: the log has one

        var all = await ReadAsync(db, keys, afterSeq: 0, max: 10);
        Assert.Equal((appended.Epoch, 4L, 1L, 4L), (all.Epoch, all.LastSeq, all.FirstSeq, all.ReadTo));
        Assert.Equal(
            [new EventLogLine(1, TransitionKind.Online, 1_000_007, 1_000), new EventLogLine(2, TransitionKind.Online, 1_000_008, 1_100),
             new EventLogLine(3, TransitionKind.Timeout, 1_000_007, 2_000), new EventLogLine(4, TransitionKind.Signout, 1_000_008, 2_500)],
            all.Entries);

        var page = await ReadAsync(db, keys, afterSeq: 1, max: 2);
        Assert.Equal([2L, 3], page.Entries.Select(e => e.Seq));
        Assert.Equal(3, page.ReadTo);

        var end = EventLogReadCall.Decode(long.MaxValue, await EvaluateAsync(db, keys, EventLogScripts.Read, EventLogReadCall.EndArguments()));
        Assert.Equal((appended.Epoch, 4L), (end.Epoch, end.LastSeq));
        Assert.Empty(end.Entries);

        await AppendAsync(db, keys, trimBeforeMs: 0, (TransitionKind.Online, 1_000_009, 3_000));
        ulong[] ids = [1_000_007, 1_000_008, 1_000_009, 1_000_010]; // ids past the buckets: a user id is not its bucket
        var snapshot = EventLogSnapshotCall.Decode(await EvaluateAsync(db, keys, EventLogScripts.Snapshot, EventLogSnapshotCall.Arguments(keys, ids)), ids.Length);
        Assert.Equal((appended.Epoch, 5L), (snapshot.Epoch, snapshot.Seq));
        Assert.Equal([null, null, 3_000L, null], snapshot.OnlineSince);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Read_LinesTrimmedBeforeThePosition_ReturnsNoLinesAndTheFirstHeld(string store)
    {
        using var garnet = store == "garnet" ? new EmbeddedGarnet() : null;
        using var mux = await ConnectionMultiplexer.ConnectAsync(garnet?.Configuration ?? redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());
        await AppendAsync(db, keys, trimBeforeMs: 0, (TransitionKind.Online, 7, 1_000), (TransitionKind.Online, 8, 5_000));
        await AppendAsync(db, keys, trimBeforeMs: 2_000, (TransitionKind.Online, 9, 6_000)); // trims line 1

        var read = await ReadAsync(db, keys, afterSeq: 0, max: 10);
        Assert.Equal((3L, 2L, 0L), (read.LastSeq, read.FirstSeq, read.ReadTo));
        Assert.Empty(read.Entries); // a gap: the reader must treat it as a loss of history

        var fresh = EventLogSnapshotCall.Decode(await EvaluateAsync(db, new EventLogKeys(TestKeys.Prefix()), EventLogScripts.Snapshot,
            EventLogSnapshotCall.Arguments(keys, [7])), 1);
        Assert.Equal(0, fresh.Seq); // a log never appended to: named, empty
        Assert.Equal(8, fresh.Epoch.Length);
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Count_FollowsTheLinesAppended_NoLogIsNoLog_AnOlderLogIsCountedOnce(string store)
    {
        using var garnet = store == "garnet" ? new EmbeddedGarnet() : null;
        using var mux = await ConnectionMultiplexer.ConnectAsync(garnet?.Configuration ?? redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());

        var none = await CountAsync(db, keys);
        Assert.False(none.HasLog);
        Assert.False(await db.KeyExistsAsync(keys.Epoch)); // asking creates no log

        await AppendAsync(db, keys, trimBeforeMs: 0, (TransitionKind.Online, 7, 1_000), (TransitionKind.Online, 8, 1_100), (TransitionKind.Online, 7, 1_000));
        var two = await CountAsync(db, keys);
        Assert.Equal((2L, 2L, 1_100L), (two.Seq, two.Online, two.AtMs)); // the repeated online (of the period the log has) is no line and no user more

        await AppendAsync(db, keys, trimBeforeMs: 0, (TransitionKind.Timeout, 7, 3_000), (TransitionKind.Signout, 9, 3_100), (TransitionKind.Online, 10, 2_900));
        var after = await CountAsync(db, keys);
        Assert.Equal((4L, 2L, 3_000L), (after.Seq, after.Online, after.AtMs)); // 9 was never online: no line; at is the newest counted

        // A log written before the count existed: counted from its online buckets, then kept by appends.
        await db.KeyDeleteAsync(keys.OnlineCount);
        Assert.Equal(2L, (await CountAsync(db, keys)).Online);
        await AppendAsync(db, keys, trimBeforeMs: 0, (TransitionKind.Signout, 8, 4_000));
        var upgraded = await CountAsync(db, keys);
        Assert.Equal((5L, 1L, 4_000L), (upgraded.Seq, upgraded.Online, upgraded.AtMs));
    }

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task Read_NumberedLinesOfAnOlderIngesterThenLinesNumberedByPlace_OneLogReadAcross(string store)
    {
        // A rolling upgrade (docs/DEPLOY.md, "Upgrades"): ingesters before 2026-12-07 (and --events-numbered-lines) store
        // "<seq> <kind> <id> <at>", later ones "<kind> <id> <at>"; one log holds both and reads as one, trims as one.
        using var garnet = store == "garnet" ? new EmbeddedGarnet() : null;
        using var mux = await ConnectionMultiplexer.ConnectAsync(garnet?.Configuration ?? redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());

        await AppendAsync(db, keys, trimBeforeMs: 0, numbered: true, (TransitionKind.Online, 7, 1_000), (TransitionKind.Online, 8, 1_100));
        await AppendAsync(db, keys, trimBeforeMs: 0, numbered: false, (TransitionKind.Timeout, 7, 2_000), (TransitionKind.Online, 9, 2_100));
        await AppendAsync(db, keys, trimBeforeMs: 0, numbered: true, (TransitionKind.Signout, 9, 3_000));
        Assert.Equal(["1 n 7 1000", "2 n 8 1100", "t 7 2000", "n 9 2100", "5 s 9 3000"], (await db.ListRangeAsync(keys.Log)).Select(v => (string?)v));

        var all = await ReadAsync(db, keys, afterSeq: 0, max: 10);
        Assert.Equal(
            [new EventLogLine(1, TransitionKind.Online, 7, 1_000), new EventLogLine(2, TransitionKind.Online, 8, 1_100),
             new EventLogLine(3, TransitionKind.Timeout, 7, 2_000), new EventLogLine(4, TransitionKind.Online, 9, 2_100),
             new EventLogLine(5, TransitionKind.Signout, 9, 3_000)],
            all.Entries);

        await AppendAsync(db, keys, trimBeforeMs: 2_050, numbered: false, (TransitionKind.Online, 10, 4_000)); // trims lines 1-3, of both forms
        var trimmed = await ReadAsync(db, keys, afterSeq: 3, max: 10);
        Assert.Equal((6L, 4L, 6L), (trimmed.LastSeq, trimmed.FirstSeq, trimmed.ReadTo));
        Assert.Equal([(4L, 9UL), (5L, 9UL), (6L, 10UL)], trimmed.Entries.Select(e => (e.Seq, e.UserId)));
    }

    private static async Task<EventLogCount> CountAsync(IDatabase db, EventLogKeys keys) =>
        EventLogCountCall.Decode((string?[])(await db.ScriptEvaluateAsync(EventLogScripts.Count, Array.ConvertAll(EventLogCountCall.Keys(keys), k => (RedisKey)k)))!);

    private static Task<EventLogHead> AppendAsync(IDatabase db, EventLogKeys keys, long trimBeforeMs, params (TransitionKind Kind, ulong User, long At)[] transitions) =>
        AppendAsync(db, keys, trimBeforeMs, numbered: false, transitions);

    private static async Task<EventLogHead> AppendAsync(IDatabase db, EventLogKeys keys, long trimBeforeMs, bool numbered, params (TransitionKind Kind, ulong User, long At)[] transitions)
    {
        var call = new EventLogAppendCall(keys, transitions.Length, ttlMs: 10_000);
        foreach (var (kind, user, at) in transitions)
            call.Add(kind, user, at);
        return EventLogAppendCall.Decode(await EvaluateAsync(db, keys, numbered ? EventLogScripts.AppendNumbered : EventLogScripts.Append, call.Arguments(trimBeforeMs, nowMs: 0)));
    }

    private static async Task<EventLogRead> ReadAsync(IDatabase db, EventLogKeys keys, long afterSeq, int max) =>
        EventLogReadCall.Decode(afterSeq, await EvaluateAsync(db, keys, EventLogScripts.Read, EventLogReadCall.Arguments(afterSeq, max)));

    private static async Task<string?[]> EvaluateAsync(IDatabase db, EventLogKeys keys, string script, string[] arguments) =>
        (string?[])(await db.ScriptEvaluateAsync(script, [keys.Seq, keys.Log, keys.Epoch], Array.ConvertAll(arguments, a => (RedisValue)a)))!;
}
