using System.Runtime.InteropServices;
using System.Threading.Channels;
using Presence.Core;
using Presence.Core.Events;
using StackExchange.Redis;

namespace Presence.Ingest.Internal;

/// <summary>
/// Sees presence transitions from what the flusher's writes answer, with no extra store command
/// per heartbeat, and sends them to the events log:
/// <list type="bullet">
/// <item>online: a <c>SET … GET</c> found no key (<see cref="WriteOutcome.Created"/>), <c>at</c> = the written receive time;</item>
/// <item>offline (sign-out): a <c>DEL</c> removed a key, <c>at</c> = the sign-out's receive time;</item>
/// <item>offline (timeout): a user this ingester wrote last is due (receive + ttl passed with no
/// newer write of its own); one <c>GET</c> confirms the key is gone, <c>at</c> = receive + ttl. A
/// key still there with the same value means its expiry landed a little later than the receive
/// time says (the write's own delay): it is looked at again next tick. A newer value means another
/// ingester wrote the user since, and watches it now.</item>
/// </list>
/// Users a stopping ingester was watching are handed over through the store (<see cref="HandOverAsync"/>)
/// and adopted here within a second. Owned by the flusher thread.
/// </summary>
internal sealed class TransitionDetector
{
    /// <summary>Due users checked in one round: bounds the commands in flight when many users go silent at once.</summary>
    public const int MaxChecksPerRound = 8_192;

    private const int AdoptBatch = 1_000;
    private const long AdoptEveryMs = 1_000;

    private readonly IDatabase _database;
    private readonly byte[] _prefix;
    private readonly EventLogKeys _keys;
    private readonly long _ttlMs;
    private readonly EventLogAppender _log;
    private readonly IngestMetrics _metrics;
    private readonly ILogger _logger;
    private readonly List<TrackedUser> _due = [];
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
    private ChannelReader<SweptUser>? _swept;
    private readonly Task<RedisValue>[] _checks = new Task<RedisValue>[MaxChecksPerRound];
    private Task? _checking;
    private Task<SortedSetEntry[]>? _adopting;
    private long _nextCheckMs;
    private long _nextAdoptMs;
    private long _nextUnansweredPurgeMs;
    private long _lastTickMs;
    private Backoff _checkBackoff = new(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));

    public TransitionDetector(IDatabase database, string prefix, long ttlMs, long nowMs, EventLogAppender log, IngestMetrics metrics, ILogger logger)
    {
        _database = database;
        _prefix = PresenceKeys.EncodePrefix(prefix);
        _keys = new EventLogKeys(prefix);
        _ttlMs = ttlMs;
        _log = log;
        _metrics = metrics;
        _logger = logger;
        Tracker = new ExpiryTracker(nowMs);
    }

    public ExpiryTracker Tracker { get; }

    /// <summary>
    /// Whether a user has a newer write pending or in flight (the flusher's pending set). Such a
    /// user is not checked: that write's answer tells what a check would (refreshed, missing,
    /// created after a lapse), so checking it every tick until the write is answered would only
    /// repeat a GET per tick per user under a write backlog.
    /// </summary>
    public Func<ulong, bool>? WriteOutstanding { get; set; }

    /// <summary>A store call of the detector's in flight (the flusher wakes when it is answered), or null.</summary>
    public Task? InFlight => _checking ?? _adopting;

    /// <summary>Takes what a start-up sweep of the log's online set finds (<see cref="OnlineSetSweep"/>).</summary>
    public void Attach(ChannelReader<SweptUser> swept) => _swept = swept;

    /// <summary>One answered write of the flusher (any outcome but Failed), answered at <paramref name="nowMs"/>.</summary>
    public void OnWritten(in PendingWrite write, WriteOutcome outcome, long nowMs)
    {
        switch (outcome)
        {
            case WriteOutcome.Refreshed:
            {
                _unansweredSignOuts.Remove(write.UserId); // the key is there: that DEL did not land, or was overtaken
                bool known = Tracker.TryGet(write.UserId, out _);
                Tracker.Set(write.UserId, write.ReceiveMs);
                if (!write.Refresh && !known)
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
                    _log.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Online, onlineAt), counted: false);
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
                    Tracker.Remove(write.UserId);
                    _log.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Signout, signedOutAt));
                    onlineAt = Math.Max(onlineAt, signedOutAt);
                }
                else if (Tracker.TryGet(write.UserId, out long before))
                {
                    long endedAt = Math.Min(before + _ttlMs, nowMs);
                    _log.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Timeout, endedAt));
                    onlineAt = Math.Max(onlineAt, endedAt);
                }
                if (_lapsed.Remove(write.UserId, out long lapsedAt))
                    onlineAt = Math.Max(onlineAt, lapsedAt);
                _unanswered.Remove(write.UserId);
                Tracker.Set(write.UserId, write.ReceiveMs);
                _log.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Online, onlineAt));
                break;
            }
            case WriteOutcome.Landed:
            {
                // An earlier attempt of this write landed unseen: the key may have lapsed before it or
                // not. Only a heartbeat received after the old key's expiry proves the lapse.
                if (Tracker.TryGet(write.UserId, out long before) && before + _ttlMs <= write.ReceiveMs)
                    _log.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Timeout, before + _ttlMs));
                long onlineAt = _lapsed.Remove(write.UserId, out long lapsedAt) ? Math.Max(write.ReceiveMs, lapsedAt) : write.ReceiveMs;
                _unanswered.Remove(write.UserId);
                Tracker.Set(write.UserId, write.ReceiveMs);
                _log.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Online, onlineAt));
                break;
            }
            case WriteOutcome.Missing:
                // A refresh found the key gone: it lapsed at its expiry (or was removed, e.g. a store
                // restart: then no later than now). The user is written again with SET … GET.
                if (Tracker.TryGet(write.UserId, out long written))
                {
                    long at = Math.Min(written + _ttlMs, nowMs);
                    Tracker.Remove(write.UserId);
                    _lapsed[write.UserId] = at;
                    _log.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Timeout, at));
                }
                break;
            case WriteOutcome.Deleted:
                _unansweredSignOuts.Remove(write.UserId);
                Tracker.Remove(write.UserId);
                _lapsed.Remove(write.UserId);
                _unanswered.Remove(write.UserId);
                _log.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Signout, write.ReceiveMs));
                break;
            case WriteOutcome.Absent:
                // A sign-out found no key. After an unanswered attempt, that attempt most likely
                // removed it: the sign-out (the log drops it when it has the user offline). Else, if
                // this ingester wrote a key, it lapsed (or vanished) before the expiry check said so:
                // that is the user's offline, or it would never be logged.
                if (_unansweredSignOuts.Remove(write.UserId))
                {
                    Tracker.Remove(write.UserId);
                    _log.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Signout, write.ReceiveMs));
                }
                else if (Tracker.TryGet(write.UserId, out long lapsed))
                {
                    Tracker.Remove(write.UserId);
                    _log.Enqueue(new PresenceTransition(write.UserId, TransitionKind.Timeout, Math.Min(lapsed + _ttlMs, nowMs)));
                }
                _lapsed.Remove(write.UserId);
                _unanswered.Remove(write.UserId);
                break;
        }
    }

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

    /// <summary>Each flusher tick: checks the users now due (when no check is in flight), and adopts orphans once a second.</summary>
    public void Tick(long nowMs)
    {
        _lastTickMs = nowMs;
        _log.Release();
        TakeSwept(nowMs);
        if (_lapsed.Count > 0)
        {
            // A user whose write never came (dropped unwritten as expired while the store was away) leaves after a ttl.
            foreach (var (user, at) in _lapsed)
            {
                if (at + _ttlMs < nowMs)
                    _lapsed.Remove(user);
            }
        }
        if ((_unanswered.Count > 0 || _unansweredSignOuts.Count > 0) && nowMs >= _nextUnansweredPurgeMs)
        {
            _nextUnansweredPurgeMs = nowMs + 1_000; // once a second: a long outage can leave many
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
        if (_checking is null && nowMs >= _nextCheckMs)
        {
            _due.Clear();
            int count = Tracker.CollectDue(nowMs - _ttlMs, _due, MaxChecksPerRound, WriteOutstanding);
            if (count > 0)
            {
                for (int i = 0; i < count; i++)
                    _checks[i] = _database.StringGetAsync(PresenceKeys.ToKey(_prefix, _due[i].UserId));
                _checking = Task.WhenAll(_checks.AsSpan(0, count));
            }
        }
        if (_adopting is null && nowMs >= _nextAdoptMs)
        {
            _nextAdoptMs = nowMs + AdoptEveryMs;
            _adopting = _database.SortedSetPopAsync(_keys.Orphans, AdoptBatch);
        }
        _metrics.TrackedUsers.Set(Tracker.Count);
    }

    private void TakeSwept(long nowMs)
    {
        if (_swept is null)
            return;
        while (_swept.TryRead(out var user))
        {
            if (user.WrittenMs != SweptUser.KeyGone)
                Tracker.TryAdd(user.UserId, user.WrittenMs); // own knowledge, if any, is newer
            else if (!Tracker.TryGet(user.UserId, out _))
                _log.Enqueue(new PresenceTransition(user.UserId, TransitionKind.Timeout, nowMs));
        }
    }

    /// <summary>Takes the answers of whatever store call has completed.</summary>
    public void TakeAnswers()
    {
        if (_checking is { IsCompleted: true })
            ResolveChecks();
        if (_adopting is { IsCompleted: true })
            Adopt();
    }

    private void ResolveChecks()
    {
        _checking = null;
        int failed = 0;
        for (int i = 0; i < _due.Count; i++)
        {
            var check = _checks[i];
            _checks[i] = null!;
            var (user, written) = _due[i];
            if (!check.IsCompletedSuccessfully)
            {
                _ = check.Exception; // observed; the user is simply checked again
                failed++;
                continue;
            }
            // A write confirmed while the check was in flight changed what is known: look again later.
            if (!Tracker.TryGet(user, out long current) || current != written)
                continue;
            var value = check.Result;
            if (value.IsNull)
            {
                Tracker.Remove(user);
                _log.Enqueue(new PresenceTransition(user, TransitionKind.Timeout, written + _ttlMs));
                continue;
            }
            if (!value.TryParse(out long stored) || stored != written)
            {
                Tracker.Remove(user); // another ingester wrote the user since: it watches it now
                if (stored >= written + _ttlMs)
                {
                    // The key lapsed before that write found none: the period this ingester saw ended.
                    // (The other ingester sent the new period's online; the log keeps one of each.)
                    _log.Enqueue(new PresenceTransition(user, TransitionKind.Timeout, written + _ttlMs));
                    _log.Enqueue(new PresenceTransition(user, TransitionKind.Online, stored));
                }
            }
            // Same value: the key outlives receive + ttl by its write's delay; it is due again next tick.
        }
        if (failed == _due.Count && failed > 0)
        {
            // The store is away: do not build thousands of failing commands every tick.
            var delay = _checkBackoff.Fail();
            _nextCheckMs = _lastTickMs + (long)delay.TotalMilliseconds;
        }
        else
        {
            _checkBackoff.Succeed();
        }
        _due.Clear();
    }

    private void Adopt()
    {
        var popped = _adopting!;
        _adopting = null;
        if (!popped.IsCompletedSuccessfully)
        {
            _ = popped.Exception;
            return;
        }
        int adopted = 0;
        foreach (var entry in popped.Result)
        {
            if (ulong.TryParse((string?)entry.Element, out ulong user) && user != 0 && Tracker.TryAdd(user, (long)entry.Score))
                adopted++;
        }
        if (popped.Result.Length == AdoptBatch)
            _nextAdoptMs = 0; // more are waiting: take them at the next tick
        if (adopted > 0)
            IngestLog.OrphansAdopted(_logger, adopted);
    }

    /// <summary>
    /// When the ingester stops: puts every user it watches into the store's orphan set (id → last
    /// written receive time), so a running ingester adopts them and their expiry is still seen.
    /// Returns how many were handed over.
    /// </summary>
    public async Task<int> HandOverAsync(TimeSpan timeout)
    {
        var sent = new List<Task>();
        var batch = new List<SortedSetEntry>(AdoptBatch);
        int count = 0;
        foreach (var (user, written) in Tracker.All())
        {
            batch.Add(new SortedSetEntry(user.ToString(System.Globalization.CultureInfo.InvariantCulture), written));
            if (batch.Count == AdoptBatch)
            {
                sent.Add(_database.SortedSetAddAsync(_keys.Orphans, [.. batch]));
                count += batch.Count;
                batch.Clear();
            }
        }
        if (batch.Count > 0)
        {
            sent.Add(_database.SortedSetAddAsync(_keys.Orphans, [.. batch]));
            count += batch.Count;
        }
        try
        {
            await Task.WhenAll(sent).WaitAsync(timeout).ConfigureAwait(false);
            return count;
        }
        catch (Exception e) when (e is RedisException or TimeoutException or TaskCanceledException)
        {
            int done = 0;
            foreach (var task in sent)
            {
                if (task.IsCompletedSuccessfully)
                    done++;
                else
                    _ = task.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            }
            return Math.Min(count, done * AdoptBatch);
        }
    }
}
