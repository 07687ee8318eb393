using System.Runtime.InteropServices;
using Presence.Core;
using Presence.Core.Events;
using Presence.Ingest.Internal.Flush;

namespace Presence.Ingest.Internal.Transitions;

/// <summary>
/// Turns what the flusher's writes answer into presence transitions, with no store command of
/// its own (pure rules over the expiry tracker and what it remembers of unanswered writes):
/// <list type="bullet">
/// <item>online: a <c>SET … GET</c> found no key (<see cref="WriteOutcome.Created"/>), <c>at</c> = the written receive time;</item>
/// <item>offline (sign-out): a <c>DEL</c> removed a key, <c>at</c> = the sign-out's receive time;</item>
/// <item>offline (timeout): a refresh, a <c>SET … GET</c> or a <c>DEL</c> found gone a key this
/// ingester wrote, before the expiry watcher (<see cref="ExpiryWatcher"/>) said so.</item>
/// </list>
/// Owned by the flusher thread.
/// </summary>
internal sealed class TransitionClassifier
{
    private readonly ExpiryTracker _tracker;
    private readonly long _ttlMs;
    private readonly ITransitionSink _sink;
    // Users whose refresh found their key gone, with the timeout's time: their write again (SET … GET)
    // begins the next period no earlier than that, even when its heartbeat was received before it.
    private readonly Dictionary<ulong, long> _lapsed = [];
    // Users whose SET … GET went unanswered (timed out, the connection lost), with the earliest such
    // receive time: that write may have landed unseen and begun an online period then.
    private readonly Dictionary<ulong, long> _unanswered = [];
    // Users whose sign-out (DEL) went unanswered, with its receive time: it may have landed unseen,
    // and then its retry finds no key. Without this the sign-out was never logged (the user stayed
    // online in the log for good) or was logged as a timeout.
    private readonly Dictionary<ulong, long> _unansweredSignOuts = [];
    // Users whose online this ingester dated after its write's receive time (at the end of the period before it), with that
    // time, for a ttl: a sign-out received before it is this period's end all the same, and is dated no earlier, since the
    // log drops a sign-out dated before the start of the period it has (one that ends an earlier period the user came back from).
    private readonly Dictionary<ulong, long> _onlineDatedLater = [];
    private long _nextUnansweredPurgeMs;

    public TransitionClassifier(ExpiryTracker tracker, long ttlMs, ITransitionSink sink)
    {
        _tracker = tracker;
        _ttlMs = ttlMs;
        _sink = sink;
    }

    /// <summary>One answered write of the flusher (any outcome but Failed), answered at <paramref name="nowMs"/>.</summary>
    public void OnWritten(in PendingWrite write, WriteOutcome outcome, long nowMs)
    {
        switch (outcome)
        {
            case WriteOutcome.Refreshed:
            {
                _unansweredSignOuts.Remove(write.UserId); // the key is there: that DEL did not land, or was overtaken
                bool known = _tracker.TryGet(write.UserId, out _);
                _tracker.Set(write.UserId, write.ReceiveMs);
                // An unanswered earlier attempt may have created this key even for a user known online
                // here: the store may have lost the key and the log meanwhile (an empty restart), and
                // the attempt landed in the new one (the quick fault run, seed 7).
                if (!write.Refresh && (!known || _unanswered.ContainsKey(write.UserId)))
                {
                    // SET … GET found a key of a user this ingester did not know online: written by
                    // another ingester, by an earlier attempt of this write whose answer was lost, or
                    // by one whose online line never reached the log (an ingester killed with it
                    // queued, an append lost with the store). The log may hold the user offline
                    // while the key exists, for good: a possible online repairs that, and the log
                    // drops it when it has the user online. One per user an ingester meets anew (a
                    // start, a user moving between ingesters), never per heartbeat; not counted as a
                    // transition, since the log decides whether it is one. The fault-schedule run
                    // lost online lines this way after store pauses, restarts and ingester kills.
                    long onlineAt = _unanswered.Remove(write.UserId, out long since) ? since : write.ReceiveMs;
                    if (_lapsed.Remove(write.UserId, out long lapsedSince))
                        onlineAt = Math.Max(onlineAt, lapsedSince);
                    Online(write, onlineAt, possible: true);
                }
                break;
            }
            case WriteOutcome.Created:
            {
                // No key: if this ingester wrote (or adopted) one, it is gone, and the expiry check has
                // not said so yet (it is not run while the user's newer write is pending, and the write
                // came first): that period ended at its expiry, or, if it vanished with time left (a
                // store restart), no later than now; this one begins no earlier.
                long onlineAt = write.ReceiveMs;
                if (_unansweredSignOuts.Remove(write.UserId, out long signedOutAt))
                {
                    // A sign-out whose DEL went unanswered came before: most likely it removed the key.
                    _tracker.Remove(write.UserId);
                    signedOutAt = SignOutAt(write.UserId, signedOutAt);
                    _sink.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Signout, signedOutAt));
                    onlineAt = Math.Max(onlineAt, signedOutAt);
                }
                else if (_tracker.TryGet(write.UserId, out long before))
                {
                    long endedAt = Math.Min(before + _ttlMs, nowMs);
                    _sink.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Timeout, endedAt));
                    onlineAt = Math.Max(onlineAt, endedAt);
                }
                if (_lapsed.Remove(write.UserId, out long lapsedAt))
                    onlineAt = Math.Max(onlineAt, lapsedAt);
                _unanswered.Remove(write.UserId);
                _tracker.Set(write.UserId, write.ReceiveMs);
                Online(write, onlineAt, possible: false);
                break;
            }
            case WriteOutcome.Landed:
            {
                // An earlier attempt of this write landed unseen: the key may have lapsed before it or
                // not. Only a heartbeat received after the old key's expiry proves the lapse.
                if (_tracker.TryGet(write.UserId, out long before) && before + _ttlMs <= write.ReceiveMs)
                    _sink.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Timeout, before + _ttlMs));
                long onlineAt = _lapsed.Remove(write.UserId, out long lapsedAt) ? Math.Max(write.ReceiveMs, lapsedAt) : write.ReceiveMs;
                _unanswered.Remove(write.UserId);
                _tracker.Set(write.UserId, write.ReceiveMs);
                Online(write, onlineAt, possible: false);
                break;
            }
            case WriteOutcome.Missing:
                // A refresh found the key gone: it lapsed at its expiry (or was removed, e.g. a store
                // restart: then no later than now). The user is written again with SET … GET.
                if (_tracker.TryGet(write.UserId, out long written))
                {
                    long at = Math.Min(written + _ttlMs, nowMs);
                    _tracker.Remove(write.UserId);
                    _lapsed[write.UserId] = at;
                    _sink.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Timeout, at));
                }
                break;
            case WriteOutcome.Deleted:
                _unansweredSignOuts.Remove(write.UserId);
                _tracker.Remove(write.UserId);
                _lapsed.Remove(write.UserId);
                _unanswered.Remove(write.UserId);
                _sink.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Signout, SignOutAt(write.UserId, write.ReceiveMs)));
                break;
            case WriteOutcome.Absent:
                // A sign-out found no key. After an unanswered attempt, that attempt most likely
                // removed it: the sign-out (the log drops it when it has the user offline). Else, if
                // this ingester wrote a key, it lapsed (or vanished) before the expiry check said so:
                // that is the user's offline, or it would never be logged.
                if (_unansweredSignOuts.Remove(write.UserId))
                {
                    _tracker.Remove(write.UserId);
                    _sink.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Signout, SignOutAt(write.UserId, write.ReceiveMs)));
                }
                else if (_tracker.TryGet(write.UserId, out long lapsed))
                {
                    _tracker.Remove(write.UserId);
                    _sink.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Timeout, Math.Min(lapsed + _ttlMs, nowMs)));
                }
                _lapsed.Remove(write.UserId);
                _unanswered.Remove(write.UserId);
                break;
        }
    }

    /// <summary>Queues the online that begins a period (possible: one the log drops when it has the user online).</summary>
    private void Online(in PendingWrite write, long onlineAt, bool possible)
    {
        if (onlineAt > write.ReceiveMs)
            _onlineDatedLater[write.UserId] = onlineAt;
        else if (_onlineDatedLater.Count > 0)
            _onlineDatedLater.Remove(write.UserId);
        _sink.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Online, onlineAt, possible), counted: !possible);
    }

    /// <summary>A sign-out's time: its receive time, or the start of the period it ends when this ingester dated that later.</summary>
    private long SignOutAt(ulong userId, long receiveMs) =>
        _onlineDatedLater.Count > 0 && _onlineDatedLater.Remove(userId, out long onlineAt) ? Math.Max(receiveMs, onlineAt) : receiveMs;

    /// <summary>
    /// One write of the flusher whose answer never came (timed out, refused, the connection lost, or
    /// not issued): a <c>SET … GET</c> among them may still have landed (see <see cref="OnWritten"/>, Refreshed).
    /// </summary>
    public void OnUnanswered(in PendingWrite write)
    {
        if (write.Kind == RecordKind.Offline)
        {
            _unansweredSignOuts[write.UserId] = write.ReceiveMs;
            return;
        }
        if (write.Refresh)
            return;
        ref long since = ref CollectionsMarshal.GetValueRefOrAddDefault(_unanswered, write.UserId, out bool exists);
        since = exists ? Math.Min(since, write.ReceiveMs) : write.ReceiveMs;
    }

    /// <summary>Each tick: forgets what a ttl has made moot (a lapse, an unanswered write received over a ttl ago, an online dated later).</summary>
    public void Forget(long nowMs)
    {
        if (_lapsed.Count > 0)
        {
            // A user whose write never came (dropped unwritten as expired while the store was away) leaves after a ttl.
            foreach (var (user, at) in _lapsed)
            {
                if (at + _ttlMs < nowMs)
                    _lapsed.Remove(user);
            }
        }
        if ((_unanswered.Count > 0 || _unansweredSignOuts.Count > 0 || _onlineDatedLater.Count > 0) && nowMs >= _nextUnansweredPurgeMs)
        {
            _nextUnansweredPurgeMs = nowMs + 1_000; // once a second: a long outage (or an empty store restart) can leave many
            foreach (var (user, at) in _onlineDatedLater)
            {
                if (at + _ttlMs < nowMs)
                    _onlineDatedLater.Remove(user);
            }
            foreach (var (user, at) in _unansweredSignOuts)
            {
                if (at + _ttlMs < nowMs)
                    _unansweredSignOuts.Remove(user);
            }
            // A write received over a ttl ago has lapsed even if it landed: the next SET … GET finds no key.
            foreach (var (user, since) in _unanswered)
            {
                if (since + _ttlMs < nowMs)
                    _unanswered.Remove(user);
            }
        }
    }
}
