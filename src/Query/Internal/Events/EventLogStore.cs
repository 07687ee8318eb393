using Presence.Core.Events;
using StackExchange.Redis;

namespace Presence.Query.Internal.Events;

/// <summary>
/// The query node's access to the store's events log (<see cref="EventLogKeys"/>, written by the
/// ingesters): reading lines after a position, the log's state of watched users, and the wake
/// channel. Every call is bounded by the store timeout and throws on failure (the feed and the
/// stream handler decide what a failure means for them).
/// </summary>
internal sealed class EventLogStore
{
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
    public async Task<EventLogRead> ReadAsync(long afterSeq, int max) =>
        EventLogReadCall.Decode(afterSeq, await EvaluateAsync(EventLogScripts.Read, EventLogReadCall.Arguments(afterSeq, max)).ConfigureAwait(false));

    /// <summary>The log's epoch and last (and first) sequence number as the store has them now, without lines.</summary>
    public async Task<EventLogRead> ReadEndAsync() =>
        EventLogReadCall.Decode(long.MaxValue, await EvaluateAsync(EventLogScripts.Read, EventLogReadCall.EndArguments()).ConfigureAwait(false));

    /// <summary>The log's state of <paramref name="ids"/>, read atomically with its last sequence number.</summary>
    public async Task<EventLogSnapshot> SnapshotAsync(ReadOnlyMemory<ulong> ids) =>
        EventLogSnapshotCall.Decode(await EvaluateAsync(EventLogScripts.Snapshot, EventLogSnapshotCall.Arguments(_keys, ids.Span)).ConfigureAwait(false), ids.Length);

    private async Task<string?[]> EvaluateAsync(string script, string[] arguments)
    {
        var result = await _database.ScriptEvaluateAsync(script, _scriptKeys, Array.ConvertAll(arguments, a => (RedisValue)a))
            .WaitAsync(_timeout).ConfigureAwait(false);
        return (string?[])result!;
    }

    /// <summary>Calls <paramref name="onWake"/> whenever an ingester says it appended (a hint: the log is read anyway on a timer).</summary>
    public Task SubscribeAsync(Action onWake) =>
        _subscriber.SubscribeAsync(RedisChannel.Literal(_keys.WakeChannel), (_, _) => onWake());

    public Task UnsubscribeAsync() => _subscriber.UnsubscribeAsync(RedisChannel.Literal(_keys.WakeChannel));
}
