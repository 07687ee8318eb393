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
    /// event after it, with those it has into <paramref name="catchUp"/>; the epoch, or null for any
    /// position it cannot serve, and the stream takes a snapshot. A plain stream's position is a log
    /// line: served from the ring, or as the feed reads on (any node that has the lines). A debounced
    /// stream's (<paramref name="debouncer"/>) is served only by the node that sent it, from its ring.
    /// </summary>
    public async Task<string?> TryResumeAsync(Subscriber subscriber, string? lastEventId, Debouncer? debouncer, List<Delivery> catchUp)
    {
        if (debouncer is not null)
            return TryResumeDebounced(subscriber, lastEventId, debouncer, catchUp);
        if (!LastEventId.TryParse(lastEventId, out var position))
            return null;
        var lines = new List<StreamItem>();
        if (!await TryResumeAsync(subscriber, position, lines).ConfigureAwait(false))
            return null;
        AddAll(lines, catchUp);
        return position.Epoch;
    }

    /// <summary>
    /// A debounced stream's resume: the same node (its <see cref="EventFeed.Node"/>), the same
    /// debounce, and the ring still holding the lines the replay needs; then the replay sends exactly
    /// what the stream would have sent after the id (<see cref="Debouncer.Replay"/>).
    /// </summary>
    private string? TryResumeDebounced(Subscriber subscriber, string? lastEventId, Debouncer debouncer, List<Delivery> catchUp)
    {
        if (!DebouncedEventId.TryParse(lastEventId, out var id) || id.Node != _feed.Node || id.Seconds != debouncer.Seconds)
            return null;
        var window = new List<StreamItem>();
        if (!_feed.TryRegisterWindow(subscriber, id.Epoch, id.Seq, id.KeyMs, debouncer.WindowMs, window))
            return null;
        debouncer.Replay(window, id.Seq, id.KeyMs, catchUp);
        return id.Epoch;
    }

    /// <summary>
    /// A resume that also gives what the stream showed at the client's <c>Last-Event-ID</c>: whether each of the
    /// subscriber's ids was online there (a group stream counts from it). The log's state now (one store read, at
    /// line S) is taken back to the id's place with the lines between, which the ring holds once the feed has read
    /// up to S: a user's state before its first line after the place is the opposite of that line (the log
    /// alternates per user); a debounced stream's users whose offline it held there were shown online. Null, with
    /// nothing registered, for any id this node cannot resume after (the stream takes a snapshot).
    /// </summary>
    public async Task<(string Epoch, bool[] Online)?> TryResumeWithStateAsync(Subscriber subscriber, string? lastEventId, Debouncer? debouncer, List<Delivery> catchUp)
    {
        string epoch;
        long seq;
        DebouncedEventId point = default; // a debounced stream's id, parsed once
        if (debouncer is null && LastEventId.TryParse(lastEventId, out var position))
            (epoch, seq) = (position.Epoch, position.Seq);
        else if (debouncer is not null && DebouncedEventId.TryParse(lastEventId, out point) && point.Node == _feed.Node && point.Seconds == debouncer.Seconds)
            (epoch, seq) = (point.Epoch, point.Seq);
        else
            return null;
        var ids = subscriber.Ids;
        EventLogSnapshot now;
        try
        {
            now = await _log.SnapshotAsync(ids).ConfigureAwait(false);
        }
        catch (Exception e) when (StoreFailure.IsStoreFailure(e))
        {
            return null;
        }
        if (now.Epoch != epoch || seq > now.Seq || !await _feed.WaitForPositionAsync(now.Seq, _store.Timeout).ConfigureAwait(false))
            return null;
        var lines = new List<StreamItem>();
        if (debouncer is null)
        {
            if (_feed.TryRegister(subscriber, epoch, seq, now.Seq, lines) != ResumeFrom.Ring)
            {
                _feed.Unregister(subscriber); // Ahead registers: the feed has read past S, so it cannot be, but never leave one behind
                return null;
            }
            var online = StateBefore(ids, now, lines, 0);
            AddAll(lines, catchUp);
            return (epoch, online);
        }
        if (!_feed.TryRegisterWindow(subscriber, point.Epoch, point.Seq, point.KeyMs, debouncer.WindowMs, lines))
            return null;
        int after = debouncer.ReplayTo(lines, point.Seq, point.KeyMs);
        var shown = StateBefore(ids, now, lines, after);
        for (int i = 0; i < ids.Length; i++)
            shown[i] |= debouncer.IsHeld(ids[i], out _);
        debouncer.Continue(lines, after, catchUp);
        return (epoch, shown);
    }

    /// <summary>
    /// Each id's state in the log before <paramref name="lines"/>[<paramref name="from"/>…] (lines about
    /// <paramref name="ids"/> in log order, covering every such line from there up to <paramref name="now"/>'s
    /// line): the opposite of its first line there at or before that line, else its state in <paramref name="now"/>.
    /// </summary>
    internal static bool[] StateBefore(ulong[] ids, EventLogSnapshot now, List<StreamItem> lines, int from)
    {
        var online = new bool[ids.Length];
        var decided = new bool[ids.Length];
        for (int i = from; i < lines.Count; i++)
        {
            var line = lines[i].Line;
            if (!lines[i].IsLine || line.Seq > now.Seq)
                continue;
            int index = Array.BinarySearch(ids, line.UserId);
            if (index >= 0 && !decided[index])
            {
                decided[index] = true;
                online[index] = !line.IsOnline;
            }
        }
        for (int i = 0; i < ids.Length; i++)
        {
            if (!decided[i])
                online[i] = now.OnlineSince[i] is not null;
        }
        return online;
    }

    private static void AddAll(List<StreamItem> lines, List<Delivery> into)
    {
        foreach (var item in lines)
            into.Add(new Delivery(item.Line, item.ReadMs));
    }

    /// <summary>
    /// Registers the subscriber after a plain stream's <paramref name="position"/> when this node can
    /// serve every line after it (from its ring, or as its feed reads them); false for any position it
    /// cannot serve: another epoch, older than the ring, past the log's end. A position past what the
    /// feed has read is checked against the store's own end first: a feed merely behind the store must
    /// not take a real position for garbage, nor a position past the log's end (which lines appended
    /// later would reach) for a real one.
    /// </summary>
    private async Task<bool> TryResumeAsync(Subscriber subscriber, LastEventId position, List<StreamItem> catchUp)
    {
        var from = _feed.TryRegister(subscriber, position.Epoch, position.Seq, storeLast: 0, catchUp);
        if (from == ResumeFrom.PastEnd)
        {
            EventLogRead end;
            try
            {
                end = await _log.ReadEndAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (StoreFailure.IsStoreFailure(e))
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
    /// times, and the subscriber registered after that position; the lines the feed already has
    /// after it go to <paramref name="catchUp"/>. A debounced stream's snapshot is also placed in its
    /// order (<see cref="StreamSnapshot.PointMs"/>) and shows the users whose offline it holds as online.
    /// Null when the store did not answer.
    /// </summary>
    public async Task<StreamSnapshot?> TakeSnapshotAsync(Subscriber subscriber, Debouncer? debouncer, List<Delivery> catchUp)
    {
        var ids = subscriber.Ids;
        var lastSeen = new long[ids.Length];
        var lines = new List<StreamItem>();
        for (int attempt = 0; attempt < 5; attempt++)
        {
            EventLogSnapshot state;
            try
            {
                state = await _log.SnapshotAsync(ids).ConfigureAwait(false);
            }
            catch (Exception e) when (StoreFailure.IsStoreFailure(e))
            {
                return null;
            }
            var status = await _store.GetLastSeenAsync(ids, lastSeen).ConfigureAwait(false);
            if (status != StoreStatus.Ok)
                return null;
            for (int i = 0; i < ids.Length; i++)
                lastSeen[i] = AsTheLogHasIt(state.OnlineSince[i], lastSeen[i], _store.ReadsLastSeen);
            lines.Clear();
            if (debouncer is null)
            {
                if (_feed.TryRegister(subscriber, state.Epoch, state.Seq, state.Seq, lines) is ResumeFrom.Ring or ResumeFrom.Ahead)
                {
                    AddAll(lines, catchUp);
                    return new StreamSnapshot(state.Epoch, state.Seq, ids, lastSeen);
                }
            }
            else
            {
                // Placed in read time: the feed must have read the snapshot's line (it is usually there already).
                var from = _feed.TryRegisterAtSnapshot(subscriber, state.Epoch, state.Seq, debouncer.WindowMs, lines, out long pointMs);
                if (from == ResumeFrom.Ahead && await _feed.WaitForPositionAsync(state.Seq, _store.Timeout).ConfigureAwait(false))
                    from = _feed.TryRegisterAtSnapshot(subscriber, state.Epoch, state.Seq, debouncer.WindowMs, lines, out pointMs);
                if (from == ResumeFrom.Ring)
                {
                    PlaceSnapshot(debouncer, lines, state.Seq, pointMs, ids, lastSeen, catchUp);
                    return new StreamSnapshot(state.Epoch, state.Seq, ids, lastSeen, pointMs);
                }
            }
            // The feed has not yet seen this epoch (the log was just replaced): let it catch up.
            _feed.Wake();
            await Task.Delay(50 * (attempt + 1)).ConfigureAwait(false);
        }
        return null;
    }

    /// <summary>
    /// A debounced snapshot at (<paramref name="seq"/>, <paramref name="pointMs"/>): the users held at
    /// that place are shown online, then the lines after it go to <paramref name="catchUp"/>. In that
    /// order: a line after the place may cancel a held offline (the user's online read before it was
    /// due), and the snapshot must still show that user online, or the stream (sending neither) would
    /// leave it offline (the 30-minute fault run of 2026-12-06).
    /// </summary>
    internal static void PlaceSnapshot(Debouncer debouncer, List<StreamItem> window, long seq, long pointMs, ulong[] ids, long[] values, List<Delivery> catchUp)
    {
        int after = debouncer.ReplayTo(window, seq, pointMs);
        ShowHeldAsOnline(ids, values, debouncer);
        debouncer.Continue(window, after, catchUp);
    }

    /// <summary>
    /// A user whose offline the stream holds is shown online (what the subscriber would have seen),
    /// its last seen as the online entry's time (a sign-out's own time when none is kept yet; else none).
    /// </summary>
    internal static void ShowHeldAsOnline(ulong[] ids, long[] values, Debouncer debouncer)
    {
        if (debouncer.HeldCount == 0)
            return;
        for (int i = 0; i < ids.Length; i++)
        {
            if (debouncer.IsHeld(ids[i], out var offline))
            {
                values[i] = LastSeenTime.DecodeOffline(values[i])
                    ?? (offline.Kind == TransitionKind.Signout ? offline.AtMs : PresenceStore.UnknownTime);
            }
        }
    }
}
