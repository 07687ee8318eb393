using System.Globalization;
using Presence.Core.Events;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Events;

/// <summary>
/// The events log's append script (<see cref="EventLogScripts.Append"/>) against a real redis-server:
/// per user, lines alternate and <c>at</c> never goes backwards, whatever order two ingesters (or a
/// sweep and a write) send one user's offline and online in.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class EventLogAppendScriptTests(RedisFixture redis)
{
    private static async Task AppendAsync(IDatabase db, EventLogKeys keys, params (char Kind, ulong User, long At)[] lines)
    {
        var args = new List<RedisValue> { EventLogKeys.NewEpoch(), keys.OnlinePrefix, 0 };
        foreach (var (kind, user, at) in lines)
        {
            args.Add(kind.ToString());
            args.Add(user.ToString(CultureInfo.InvariantCulture));
            args.Add(EventLogKeys.Bucket(user));
            args.Add(at);
        }
        await db.ScriptEvaluateAsync(EventLogScripts.Append, [keys.Seq, keys.Log, keys.Epoch], [.. args]);
    }

    private static async Task<EventLogLine[]> LinesAsync(IDatabase db, EventLogKeys keys) =>
        [.. (await db.ListRangeAsync(keys.Log)).Select(r => EventLogLine.TryParse((byte[])r!, out var line) ? line : throw new InvalidDataException($"log line '{r}'"))];

    [Fact]
    public async Task Append_OnlineDatedBeforeTheUsersLastOffline_IsDatedAtThatOffline()
    {
        // Seen by the fault-schedule run: one ingester's timeout at 2,000 appended before another's
        // online of a heartbeat received at 1,954 (both true; their order in time is not the log's).
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());
        await AppendAsync(db, keys, ('n', 7, 1_000), ('n', 8, 1_000));
        await AppendAsync(db, keys, ('t', 7, 2_000), ('s', 8, 2_000));
        await AppendAsync(db, keys, ('n', 7, 1_954), ('n', 8, 2_500));

        var lines = await LinesAsync(db, keys);
        Assert.Equal([1_000L, 2_000, 2_000], lines.Where(l => l.UserId == 7).Select(l => l.AtMs));
        Assert.Equal([1_000L, 2_000, 2_500], lines.Where(l => l.UserId == 8).Select(l => l.AtMs)); // a later online keeps its own time
    }

    [Fact]
    public async Task Append_OfflineOlderThanAMinuteBeforeTheNewest_IsForgotten()
    {
        // The recent-offline set is bounded: 60 s behind the newest transition appended.
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(TestKeys.Prefix());
        await AppendAsync(db, keys, ('n', 7, 1_000), ('n', 9, 1_000));
        await AppendAsync(db, keys, ('t', 7, 2_000));
        Assert.Equal(2_000, await db.SortedSetScoreAsync(keys.RecentOffline, "7"));
        await AppendAsync(db, keys, ('t', 9, 62_001));

        Assert.Null(await db.SortedSetScoreAsync(keys.RecentOffline, "7"));
        Assert.Equal(62_001, await db.SortedSetScoreAsync(keys.RecentOffline, "9"));
    }
}
