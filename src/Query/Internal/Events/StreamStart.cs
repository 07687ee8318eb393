using Presence.Core.Events;
using Presence.Core.LastSeen;
using Presence.Query.Internal.Store;

namespace Presence.Query.Internal.Events;

/// <summary>
/// Where a stream starts: after a client's <c>Last-Event-ID</c> when this node can serve it, or
/// from a snapshot of the log's state of its ids; either way with its subscriber registered on the feed.
/// </summary>
internal sealed class StreamStart(EventFeed feed, EventLogStore log, PresenceStore store)
{
    private readonly EventFeed _feed = feed;
    private readonly EventLogStore _log = log;
    private readonly PresenceStore _store = store;

    /// <summary>
    /// Registers the subscriber after a client's <c>Last-Event-ID</c> when this node can serve every
    /// line after it (from its ring, or as its feed reads them); false for any position it cannot
    /// serve: another epoch, older than the ring, past the log's end, and the stream takes a
    /// snapshot. A position past what the feed has read is checked against the store's own end
    /// first: a feed merely behind the store must not take a real position for garbage, nor a
    /// position past the log's end (which lines appended later would reach) for a real one.
    /// </summary>
    public async Task<bool> TryResumeAsync(Subscriber subscriber, LastEventId position, List<EventLogLine> catchUp)
    {
        var from = _feed.TryRegister(subscriber, position.Epoch, position.Seq, storeLast: 0, catchUp);
        if (from == ResumeFrom.PastEnd)
        {
            EventLogRead end;
            try
            {
                end = await _log.ReadEndAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException or TaskCanceledException)
            {
                return false; // the snapshot says whether the store answers
            }
            if (end.Epoch == position.Epoch && end.LastSeq >= position.Seq)
                from = _feed.TryRegister(subscriber, position.Epoch, position.Seq, end.LastSeq, catchUp);
        }
        return from is ResumeFrom.Ring or ResumeFrom.Ahead;
    }

    /// <summary>
    /// A snapshot entry: online or offline as the log has it (the stream's events follow the log), with
    /// the store's times. Online: the key's receive time, or, if the key is already gone (its offline
    /// line not yet appended), the online line's time. Offline: the kept last seen; or, when the key is
    /// still there (the log found the timeout before the key's expiry, or the user's next online is not
    /// appended yet) the key's time, to the whole second as a last seen is; else none.
    /// </summary>
    internal static long AsTheLogHasIt(long? onlineSince, long stored, bool lastSeenOn)
    {
        if (onlineSince is { } since)
            return PresenceStore.IsOnline(stored) ? stored : since;
        if (stored >= 0)
            return lastSeenOn ? LastSeenTime.EncodeOffline(stored / 1000 * 1000) : PresenceStore.Offline;
        return stored == PresenceStore.UnknownTime ? PresenceStore.Offline : stored;
    }

    /// <summary>
    /// The log's state of the subscriber's ids at one log position, with the store's last-seen
    /// times, and the subscriber registered after that position. Null when the store did not answer.
    /// </summary>
    public async Task<StreamSnapshot?> TakeSnapshotAsync(Subscriber subscriber, List<EventLogLine> catchUp)
    {
        var ids = subscriber.Ids;
        var lastSeen = new long[ids.Length];
        for (int attempt = 0; attempt < 5; attempt++)
        {
            EventLogSnapshot state;
            try
            {
                state = await _log.SnapshotAsync(ids).ConfigureAwait(false);
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException or TaskCanceledException)
            {
                return null;
            }
            var status = await _store.GetLastSeenAsync(ids, lastSeen).ConfigureAwait(false);
            if (status != StoreStatus.Ok)
                return null;
            for (int i = 0; i < ids.Length; i++)
                lastSeen[i] = AsTheLogHasIt(state.OnlineSince[i], lastSeen[i], _store.ReadsLastSeen);
            if (_feed.TryRegister(subscriber, state.Epoch, state.Seq, state.Seq, catchUp) is ResumeFrom.Ring or ResumeFrom.Ahead)
                return new StreamSnapshot(state.Epoch, state.Seq, ids, lastSeen);
            // The feed has not yet seen this epoch (the log was just replaced): let it catch up.
            _feed.Wake();
            await Task.Delay(50 * (attempt + 1)).ConfigureAwait(false);
        }
        return null;
    }
}
