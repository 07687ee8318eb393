using Presence.Core.Events;
using Presence.Hosting;
using StackExchange.Redis;

namespace Presence.Query.Internal.Events;

/// <summary>
/// Reads the online count the events log keeps (<see cref="EventLogScripts.Count"/>: O(1), creates
/// nothing), bounded by the store timeout. Null when the store did not answer.
/// </summary>
internal sealed class OnlineCountReader(IConnectionMultiplexer connection, string prefix, TimeSpan timeout)
{
    private readonly IDatabase _database = connection.GetDatabase();
    private readonly RedisKey[] _keys = Array.ConvertAll(EventLogCountCall.Keys(new EventLogKeys(prefix)), k => (RedisKey)k);

    /// <summary>The cause of the last failed read, for the answer's detail.</summary>
    public string? LastError { get; private set; }

    public async Task<EventLogCount?> ReadAsync(CancellationToken cancel)
    {
        try
        {
            var reply = await _database.ScriptEvaluateAsync(EventLogScripts.Count, _keys).WaitAsync(timeout, cancel).ConfigureAwait(false);
            return EventLogCountCall.Decode((string?[])reply!);
        }
        catch (Exception e) when (StoreClientFailure.Is(e, cancel))
        {
            LastError = e.Message;
            return null;
        }
    }
}
