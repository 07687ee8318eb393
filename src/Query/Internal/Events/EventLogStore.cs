using System.Globalization;
using Presence.Core.Events;
using StackExchange.Redis;

namespace Presence.Query.Internal;

/// <summary>
/// The query node's access to the store's events log (<see cref="EventLogKeys"/>, written by the
/// ingesters): reading lines after a position, the log's state of watched users, and the wake
/// channel. Every call is bounded by the store timeout and throws on failure (the feed and the
/// stream handler decide what a failure means for them).
/// </summary>
internal sealed class EventLogStore
{
    public const long Offline = -1;

    private readonly IDatabase _database;
    private readonly ISubscriber _subscriber;
    private readonly EventLogKeys _keys;
    private readonly RedisKey[] _scriptKeys;
    private readonly TimeSpan _timeout;

    public EventLogStore(IConnectionMultiplexer connection, string prefix, TimeSpan timeout)
    {
        _database = connection.GetDatabase();
        _subscriber = connection.GetSubscriber();
        _keys = new EventLogKeys(prefix);
        _scriptKeys = [_keys.Seq, _keys.Log, _keys.Epoch];
        _timeout = timeout;
    }

    /// <summary>Lines after <paramref name="afterSeq"/>, at most <paramref name="max"/>; none when up to date or past a gap.</summary>
    public async Task<LogRead> ReadAsync(long afterSeq, int max)
    {
        var result = (RedisResult[])(await _database.ScriptEvaluateAsync(EventLogScripts.Read, _scriptKeys,
            [afterSeq, max, EventLogKeys.NewEpoch()]).WaitAsync(_timeout).ConfigureAwait(false))!;
        var entries = new List<EventLogLine>(Math.Max(0, result.Length - 3));
        for (int i = 3; i < result.Length; i++)
        {
            long seq = afterSeq + i - 2;
            if (EventLogLine.TryParse((byte[])result[i]!, out var entry) && entry.Seq == seq)
                entries.Add(entry);
        }
        return new LogRead((string)result[0]!, (long)result[1], (long)result[2], entries, afterSeq + Math.Max(0, result.Length - 3));
    }

    /// <summary>The log's epoch and last (and first) sequence number as the store has them now, without lines.</summary>
    public Task<LogRead> ReadEndAsync() => ReadAsync(long.MaxValue, 1); // after the end: the script answers only its head

    /// <summary>The log's state of <paramref name="ids"/>, read atomically with its last sequence number.</summary>
    public async Task<LogSnapshot> SnapshotAsync(ReadOnlyMemory<ulong> ids)
    {
        var args = new RedisValue[2 + 2 * ids.Length];
        args[0] = EventLogKeys.NewEpoch();
        args[1] = _keys.OnlinePrefix;
        var span = ids.Span;
        for (int i = 0; i < span.Length; i++)
        {
            args[2 + 2 * i] = span[i].ToString(CultureInfo.InvariantCulture);
            args[3 + 2 * i] = EventLogKeys.Bucket(span[i]);
        }
        var result = (RedisResult[])(await _database.ScriptEvaluateAsync(EventLogScripts.Snapshot, _scriptKeys, args)
            .WaitAsync(_timeout).ConfigureAwait(false))!;
        var since = new long[ids.Length];
        for (int i = 0; i < since.Length; i++)
        {
            var value = (string?)result[2 + i];
            since[i] = long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long at) ? at : Offline;
        }
        return new LogSnapshot((string)result[0]!, (long)result[1], since);
    }

    /// <summary>Calls <paramref name="onWake"/> whenever an ingester says it appended (a hint: the log is read anyway on a timer).</summary>
    public Task SubscribeAsync(Action onWake) =>
        _subscriber.SubscribeAsync(RedisChannel.Literal(_keys.WakeChannel), (_, _) => onWake());

    public Task UnsubscribeAsync() => _subscriber.UnsubscribeAsync(RedisChannel.Literal(_keys.WakeChannel));
}
