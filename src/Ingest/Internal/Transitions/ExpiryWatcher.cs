using System.Threading.Channels;
using Presence.Core.Events;
using Presence.Core;
using Presence.Hosting;
using Presence.Ingest.Internal.Infrastructure;
using StackExchange.Redis;

namespace Presence.Ingest.Internal.Transitions;

/// <summary>
/// Watches, in the store, the keys the expiry tracker holds: a user this ingester wrote last is
/// due when receive + ttl has passed with no newer write of its own; one <c>GET</c> confirms the
/// key is gone, and the timeout is <c>at</c> = receive + ttl. A key still there with the same value
/// means its expiry landed a little later than the receive time says (the write's own delay): it is
/// looked at again next tick. A newer value means another ingester wrote the user since, and
/// watches it now. Users a stopping ingester was watching are handed over through the store
/// (<see cref="HandOverAsync"/>) and adopted here within a second; what a start-up sweep finds
/// (<see cref="OnlineSetSweep"/>) is taken in each tick. Owned by the flusher thread.
/// </summary>
internal sealed class ExpiryWatcher
{
    /// <summary>Due users checked in one round: bounds the commands in flight when many users go silent at once.</summary>
    public const int MaxChecksPerRound = 8_192;

    private const int AdoptBatch = 1_000;
    private const long AdoptEveryMs = 1_000;

    private readonly IDatabase _database;
    private readonly byte[] _prefix;
    private readonly EventLogKeys _keys;
    private readonly long _ttlMs;
    private readonly ExpiryTracker _tracker;
    private readonly ITransitionSink _sink;
    private readonly IngestMetrics _metrics;
    private readonly ILogger _logger;
    private readonly List<TrackedUser> _due = [];
    private ChannelReader<SweptUser>? _swept;
    private readonly Task<RedisValue>[] _checks = new Task<RedisValue>[MaxChecksPerRound];
    private Task? _checking;
    private Task<SortedSetEntry[]>? _adopting;
    private long _nextCheckMs;
    private long _nextAdoptMs;
    private long _lastTickMs;
    private Backoff _checkBackoff = new(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));

    public ExpiryWatcher(IDatabase database, string prefix, long ttlMs, ExpiryTracker tracker, ITransitionSink sink, IngestMetrics metrics, ILogger logger)
    {
        _database = database;
        _prefix = PresenceKeys.EncodePrefix(prefix);
        _keys = new EventLogKeys(prefix);
        _ttlMs = ttlMs;
        _tracker = tracker;
        _sink = sink;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>
    /// Whether a user has a newer write pending or in flight (the flusher's pending set). Such a
    /// user is not checked: that write's answer tells what a check would (refreshed, missing,
    /// created after a lapse), so checking it every tick until the write is answered would only
    /// repeat a GET per tick per user under a write backlog.
    /// </summary>
    public Func<ulong, bool>? WriteOutstanding { get; set; }

    /// <summary>How long a store call is waited for before it counts as failed (<see cref="AnswerBound"/>).</summary>
    public TimeSpan AnswerWithin { get; init; } = AnswerBound.Default;

    /// <summary>A store call of the watcher's in flight (the flusher wakes when it is answered), or null.</summary>
    public Task? InFlight => _checking ?? _adopting;

    /// <summary>Takes what a start-up sweep of the log's online set finds (<see cref="OnlineSetSweep"/>).</summary>
    public void Attach(ChannelReader<SweptUser> swept) => _swept = swept;

    /// <summary>Takes what the start-up sweep has found since the last tick.</summary>
    public void TakeSwept(long nowMs)
    {
        if (_swept is null)
            return;
        while (_swept.TryRead(out var user))
        {
            if (user.WrittenMs != SweptUser.KeyGone)
                _tracker.TryAdd(user.UserId, user.WrittenMs); // own knowledge, if any, is newer
            else if (!_tracker.TryGet(user.UserId, out _))
            {
                // The period the sweep read may have ended, and another begun through another ingester, before this
                // line reaches the log: the log ends only the period the sweep saw, dated as it appends (EventLogScripts.Append, w).
                _sink.Enqueue(user.OnlineAtMs == SweptUser.Unknown
                    ? new PresenceTransition(user.UserId, TransitionKind.Timeout, nowMs)
                    : new PresenceTransition(user.UserId, TransitionKind.Timeout, user.OnlineAtMs, Possible: true));
            }
        }
    }

    /// <summary>Each flusher tick: checks the users now due (when no check is in flight), and adopts orphans once a second.</summary>
    public void Tick(long nowMs)
    {
        _lastTickMs = nowMs;
        if (_checking is null && nowMs >= _nextCheckMs)
        {
            _due.Clear();
            int count = _tracker.CollectDue(nowMs - _ttlMs, _due, MaxChecksPerRound, WriteOutstanding);
            if (count > 0)
            {
                for (int i = 0; i < count; i++)
                    _checks[i] = _database.StringGetAsync(PresenceKeys.ToKey(_prefix, _due[i].UserId));
                _checking = Task.WhenAll(_checks.AsSpan(0, count)).WaitAsync(AnswerWithin); // each check is read on its own below: one unanswered is checked again
            }
        }
        if (_adopting is null && nowMs >= _nextAdoptMs)
        {
            _nextAdoptMs = nowMs + AdoptEveryMs;
            _adopting = _database.SortedSetPopAsync(_keys.Orphans, AdoptBatch).WaitAsync(AnswerWithin);
        }
        _metrics.TrackedUsers.Set(_tracker.Count);
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
            if (!_tracker.TryGet(user, out long current) || current != written)
                continue;
            var value = check.Result;
            if (value.IsNull)
            {
                _tracker.Remove(user);
                _sink.Enqueue(new PresenceTransition(user, TransitionKind.Timeout, written + _ttlMs));
                continue;
            }
            if (!value.TryParse(out long stored) || stored != written)
            {
                _tracker.Remove(user); // another ingester wrote the user since: it watches it now
                if (stored >= written + _ttlMs)
                {
                    // The key lapsed before that write (or outlived receive + ttl by its write's delay, and that write found
                    // it): the period this ingester saw ended. The other ingester sent the new period's online, a possible
                    // one the log drops while it has this period; relayed here, the log takes it only right after this
                    // timeout, if that ended a period: when the pair comes late, after the new period came and went or into
                    // a new log after an empty store restart, the timeout is dropped and so is the online, which was taken
                    // before (online for good with no key: the quick fault run, seed 49, 2026-12-07).
                    _sink.EnqueuePair(
                        new PresenceTransition(user, TransitionKind.Timeout, written + _ttlMs),
                        new PresenceTransition(user, TransitionKind.Online, stored, Relayed: true));
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
            if (ulong.TryParse((string?)entry.Element, out ulong user) && user != 0 && _tracker.TryAdd(user, (long)entry.Score))
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
        foreach (var (user, written) in _tracker.All())
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
        // A hand-over is best effort: the stop goes on whatever the store client failed with (StoreClientFailure).
        catch (Exception e) when (StoreClientFailure.Is(e))
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
