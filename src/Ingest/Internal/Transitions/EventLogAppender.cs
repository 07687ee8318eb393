using System.Runtime.InteropServices;
using Presence.Core;
using Presence.Core.Events;
using Presence.Ingest.Internal.Infrastructure;
using StackExchange.Redis;

namespace Presence.Ingest.Internal.Transitions;

/// <summary>
/// Appends transitions to the store's events log (<see cref="EventLogScripts.Append"/>), in the
/// order they were seen, up to <see cref="BatchSize"/> a script call, one call in flight; a failed
/// call is retried with a capped backoff, so nothing is reordered or lost while the store is away
/// for a while. After each append a message on the log's wake channel tells the query nodes to
/// read. The queue is bounded (<see cref="Capacity"/>). A transition that finds it full is held
/// per user (<see cref="HeldTransitions"/>: the user's first held transition and its latest), and
/// so are the user's later ones until the queue has room again (<see cref="Release"/>, each tick):
/// then the user's held ones go in, in order, so its lines still end on its latest state and no
/// later line of the user overtakes a held one. What holding loses (a held user's transitions
/// between the first and the latest; a user beyond <see cref="HeldCapacity"/>) is counted as
/// dropped (EVENTS.md, "Limits").
/// </summary>
internal sealed class EventLogAppender : ITransitionSink
{
    /// <summary>
    /// Transitions a script call at most. Small, because the store takes turns: per event-loop turn Redis
    /// runs what ~16 KB of a client's pipelined input holds (~180 of the flusher's <c>SET</c>s, ~0.4 ms) but a
    /// whole script call, and a call of 1,000 onlines runs 3–6 ms. At a cold start's burst (the ladder's
    /// 3M users at 300,000 heartbeats/s, presence only) calls of 1,000 kept the log current but left presence
    /// writes 7–26 s behind, so keys expired before their refresh and every user was lost drained (3 runs of 3,
    /// with each lapsed user a spurious timeout and online more); calls of 100: 0 lost drained in 5 of 5, the log
    /// behind instead (held users, counted drops), at ~15% more of redis-server's time per transition
    /// (docs/PERFORMANCE.md, "The appender's call size").
    /// </summary>
    public const int BatchSize = 100;

    /// <summary>Transitions waiting at most: at 16 bytes each, 16 MB (given back once the queue empties); an hour of 1% churn of 1M users is ~600K.</summary>
    public const int Capacity = 1_000_000;

    /// <summary>
    /// Users held at most while the queue is full: ~60 bytes each (<see cref="HeldTransitions"/>), up to ~240 MB, only
    /// then. With the queue that is a burst of 5M users new at once to one ingester before a transition is lost: a cold
    /// start of 3M users at 300,000 heartbeats/s, which outruns the log by ~2M onlines, used to lose ~1M of them beyond
    /// 1M held (docs/PERFORMANCE.md, "The appender's call size").
    /// </summary>
    public const int HeldCapacity = 4_000_000;

    private readonly TransitionQueue<PresenceTransition> _queue;
    private readonly int _capacity;
    private readonly int _heldCapacity;
    // Owned by the flusher thread (the queue's one writer); read by RunAsync only after Complete.
    private readonly Dictionary<ulong, HeldTransitions> _held = [];
    private readonly Queue<ulong> _heldOrder = new();

    private readonly IDatabase _database;
    private readonly EventLogKeys _keys;
    private readonly RedisKey[] _scriptKeys;
    private readonly long _retentionMs;
    private readonly IngestClock _clock;
    private readonly IngestMetrics _metrics;
    private readonly ILogger _logger;
    private Backoff _backoff = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));
    // Transitions taken from the queue and not yet appended (the call in flight, or retried while the store fails): part of
    // the backlog, which read 0 through a whole outage once the queue was taken (the fault-schedule run's end waits on it).
    private int _appending;

    /// <summary>The ingesters' ttl (--ttl, in ms): how long the log waits for a late timeout after an online it dropped (<see cref="EventLogScripts.Append"/>).</summary>
    public long TtlMs { get; init; } = 30_000;

    /// <summary>
    /// Write each line with its sequence number (<see cref="EventLogScripts.AppendNumbered"/>, --events-numbered-lines) instead of
    /// numbered by its place alone: while query nodes from before 2026-12-07 still read the log (docs/DEPLOY.md, "Upgrades").
    /// </summary>
    public bool NumberedLines { get; init; }

    /// <summary>Where the offlines of each append go next, their users' last seen (null: none kept).</summary>
    public LastSeen.LastSeenWriter? LastSeen { get; init; }

    /// <summary>
    /// How far behind the presence writes are now, in ms (the flusher's <see cref="Flush.Flusher.WriteLagMs"/>); null: never
    /// yields. Above <see cref="YieldAboveMs"/> each append first waits, up to <see cref="MaxYieldMs"/>, for them to catch up.
    /// </summary>
    public Func<long>? PresenceLagMs { get; set; }

    /// <summary>Presence writes this far behind (ms) make an append wait: the store's turns go to them first.</summary>
    public const long YieldAboveMs = 500;

    /// <summary>
    /// An append waits at most this long for presence writes (ms), in steps of <see cref="YieldStepMs"/>: so while they stay
    /// behind (an overload) the log still takes at least a call of <see cref="BatchSize"/> every ~100 ms, and what does not
    /// fit is held and counted as the queue's limits say.
    /// </summary>
    public const int MaxYieldMs = 100;

    public const int YieldStepMs = 10;

    private volatile bool _stopping;

    /// <summary>Called on the append loop when the queue empties after a burst (more than <see cref="TransitionQueue{T}.KeepBelow"/> waited): the host compacts the GC heap then (<see cref="HeapCompaction"/>).</summary>
    public Action? BurstOver { get; init; }

    /// <summary>How long an append is waited for before it counts as failed and is sent again (<see cref="AnswerBound"/>).</summary>
    public TimeSpan AnswerWithin { get; init; } = AnswerBound.Default;

    public EventLogAppender(IDatabase database, string prefix, TimeSpan retention, IngestClock clock, IngestMetrics metrics, ILogger logger,
        int capacity = Capacity, int heldCapacity = HeldCapacity)
    {
        _capacity = capacity;
        _heldCapacity = heldCapacity;
        _queue = new TransitionQueue<PresenceTransition>(capacity, () => BurstOver?.Invoke()); // written by the flusher thread only; full: TryWrite fails, and the transition is held
        _database = database;
        _keys = new EventLogKeys(prefix);
        _scriptKeys = [_keys.Seq, _keys.Log, _keys.Epoch];
        _retentionMs = (long)retention.TotalMilliseconds;
        _clock = clock;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Transitions waiting to be appended.</summary>
    public int Queued => _queue.Count;

    /// <summary>Takes the next transition waiting, in order (tests: what a detector queued).</summary>
    internal bool TryTake(out PresenceTransition transition) => _queue.TryRead(out transition);

    /// <summary>Users whose transitions are held until the queue has room.</summary>
    public int Held => _held.Count;

    /// <summary>Queues a transition (on the flusher thread); held when the queue is full, or when the user already is.</summary>
    public void Enqueue(PresenceTransition transition, bool counted = true)
    {
        if (counted)
            _metrics.Transitions(transition.Kind).Inc();
        Enqueue(new ReadOnlySpan<PresenceTransition>(in transition));
    }

    /// <inheritdoc/>
    public void EnqueuePair(PresenceTransition timeout, PresenceTransition relayedOnline)
    {
        _metrics.Transitions(timeout.Kind).Inc();
        _metrics.Transitions(relayedOnline.Kind).Inc();
        Enqueue([timeout, relayedOnline]); // next to each other, or held as the user's first and latest: released next to each other
    }

    /// <summary>One user's transitions, in order: queued together, or held behind the user's held ones, never ahead of them.</summary>
    private void Enqueue(ReadOnlySpan<PresenceTransition> transitions)
    {
        if (_held.Count > 0)
        {
            Release();
            if (_held.ContainsKey(transitions[0].UserId))
            {
                Hold(transitions);
                return;
            }
        }
        if (!_queue.TryWrite(transitions))
            Hold(transitions);
    }

    /// <summary>
    /// Moves held users into the queue, oldest held first, while it has room for all of a user's
    /// held transitions (on the flusher thread: each tick, and before each new transition).
    /// </summary>
    public void Release()
    {
        if (_heldOrder.Count == 0)
            return;
        while (_heldOrder.TryPeek(out ulong user))
        {
            var held = _held[user];
            if (_capacity - _queue.Count < (held.HasLast ? 2 : 1))
                return; // the appender frees room as it appends; the next tick goes on
            if (held.HasLast)
                Write([held.First(user), held.Last(user)]); // next to each other: the last may be a relayed online after its timeout
            else
                Write([held.First(user)]);
            _heldOrder.Dequeue();
            _held.Remove(user);
        }
        _held.TrimExcess(); // the overflow is over: give its memory back
        _heldOrder.TrimExcess();
    }

    /// <summary>Sets <c>presence_event_log_backlog</c> (queued + the batch being appended + users held): once a flusher tick, not per transition.</summary>
    public void PublishBacklog() => _metrics.EventLogBacklog.Set(_queue.Count + Volatile.Read(ref _appending) + _held.Count);

    private void Write(ReadOnlySpan<PresenceTransition> transitions)
    {
        if (!_queue.TryWrite(transitions)) // only when completed (stopping): nothing more is appended
            _metrics.TransitionsDropped.Inc(transitions.Length);
    }

    private void Hold(ReadOnlySpan<PresenceTransition> transitions)
    {
        foreach (var transition in transitions)
            Hold(transition);
    }

    private void Hold(PresenceTransition transition)
    {
        _metrics.TransitionsHeld.Inc();
        ref var held = ref CollectionsMarshal.GetValueRefOrNullRef(_held, transition.UserId);
        if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref held))
        {
            held = held.Then(transition, out bool replaced);
            if (replaced)
                _metrics.TransitionsDropped.Inc();
            return;
        }
        if (_held.Count >= _heldCapacity)
        {
            _metrics.TransitionsDropped.Inc();
            return;
        }
        _held.Add(transition.UserId, HeldTransitions.Of(transition));
        _heldOrder.Enqueue(transition.UserId);
    }

    /// <summary>No more transitions will come: <see cref="RunAsync"/> returns once the queue is written.</summary>
    public void Complete()
    {
        _stopping = true; // the stop's grace is for appending what is left, not for waiting
        _queue.Complete();
    }

    /// <summary>Whether an append that has waited <paramref name="waitedMs"/> for presence writes <paramref name="lagMs"/> behind waits longer.</summary>
    internal static bool Yields(long lagMs, int waitedMs, bool stopping) => !stopping && lagMs > YieldAboveMs && waitedMs < MaxYieldMs;

    /// <summary>
    /// Before an append: while presence writes are behind, gives them the store for a while. The store takes turns per
    /// client, and an append runs whole in its turn; at a cold start's burst the log and the presence writes both want
    /// all of it, and presence is the promise (docs/PERFORMANCE.md, "The appender's call size").
    /// </summary>
    private async Task YieldToPresenceAsync(CancellationToken stop)
    {
        if (PresenceLagMs is not { } lag)
            return;
        for (int waited = 0; Yields(lag(), waited, _stopping); waited += YieldStepMs)
            await Task.Delay(TimeSpan.FromMilliseconds(YieldStepMs), _clock.Time, stop).ConfigureAwait(false);
    }

    /// <summary>Appends until <see cref="Complete"/> was called and the queue is empty, or <paramref name="stop"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        var batch = new List<PresenceTransition>(BatchSize);
        try
        {
            while (await _queue.WaitToReadAsync(stop).ConfigureAwait(false))
            {
                await YieldToPresenceAsync(stop).ConfigureAwait(false);
                TakeInto(batch, BatchSize);
                // A relayed online goes in the call of the timeout before it (EnqueuePair), even past the batch's size.
                if (_queue.TryPeek(out var next) && next.Relayed)
                    TakeInto(batch, batch.Count + 1);
                await AppendAsync(batch, stop).ConfigureAwait(false);
                batch.Clear();
            }
            // Completed: no more transitions come, so what is still held goes after the queue.
            while (_heldOrder.TryDequeue(out ulong user))
            {
                var held = _held[user];
                Volatile.Write(ref _appending, batch.Count + (held.HasLast ? 2 : 1)); // counted before it stops being held
                _held.Remove(user);
                batch.Add(held.First(user));
                if (held.HasLast)
                    batch.Add(held.Last(user));
                if (batch.Count >= BatchSize || _heldOrder.Count == 0)
                {
                    await AppendAsync(batch, stop).ConfigureAwait(false);
                    batch.Clear();
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            long left = batch.Count + _queue.Count + _held.Count;
            if (left > 0)
                IngestLog.TransitionsUnwritten(_logger, left);
        }
    }

    /// <summary>
    /// Moves queued transitions, oldest first, into <paramref name="batch"/> until it holds <paramref name="upTo"/> or the
    /// queue is empty. Each counts as being appended before it leaves the queue, so the backlog (queued + appending + held)
    /// may read one too many for a moment but never reads a transition as neither: taken first and counted after, the
    /// backlog read 0 with the whole queue in a call not yet made, and a test waiting for 0 read the log before it (the
    /// CI run of stop 37), as the fault run's end, which waits for every ingester's backlog to be 0, could have.
    /// </summary>
    private void TakeInto(List<PresenceTransition> batch, int upTo)
    {
        while (batch.Count < upTo)
        {
            Volatile.Write(ref _appending, batch.Count + 1);
            if (!_queue.TryRead(out var transition))
            {
                Volatile.Write(ref _appending, batch.Count);
                return;
            }
            batch.Add(transition);
        }
    }

    private async Task AppendAsync(List<PresenceTransition> batch, CancellationToken stop)
    {
        var call = new EventLogAppendCall(_keys, batch.Count, TtlMs);
        foreach (var t in batch)
            call.Add(t.Kind, t.UserId, t.AtMs, t.Possible, t.Relayed);
        Volatile.Write(ref _appending, batch.Count);
        while (true)
        {
            long now = _clock.NowMs;
            var args = Array.ConvertAll(call.Arguments(trimBeforeMs: now - _retentionMs, now), a => (RedisValue)a); // lines older than this are trimmed
            try
            {
                var result = await _database.ScriptEvaluateAsync(NumberedLines ? EventLogScripts.AppendNumbered : EventLogScripts.Append, _scriptKeys, args).WaitAsync(AnswerWithin, stop).ConfigureAwait(false); // an append sent again is absorbed by the script
                long last = EventLogAppendCall.Decode((string?[])result!).LastSeq;
                Volatile.Write(ref _appending, 0);
                _metrics.EventLogAppends.WithLabels("ok").Inc();
                _metrics.EventLogLastSeq.Set(last);
                _database.Publish(RedisChannel.Literal(_keys.WakeChannel), last, CommandFlags.FireAndForget);
                LastSeen?.Offer(batch, now);
                if (_backoff.Failures > 0)
                    IngestLog.EventLogRecovered(_logger, _backoff.Failures);
                _backoff.Succeed();
                return;
            }
            // Any failure but the stop's: the store client throws more than RedisException and TimeoutException
            // after a fault tore its connection down (InvalidOperationException "Reading is not allowed after
            // reader was completed"), and an exception let through ended this loop for good: the ingester's
            // transitions were never appended again, silently (the 30-minute fault runs 16 and 17, FAULTS.md).
            catch (Exception e) when (!(e is OperationCanceledException && stop.IsCancellationRequested))
            {
                _metrics.EventLogAppends.WithLabels("failed").Inc();
                var delay = _backoff.Fail();
                if (_backoff.Failures == 1 || _backoff.Failures % 20 == 0)
                    IngestLog.EventLogAppendFailed(_logger, batch.Count, _queue.Count, delay.TotalMilliseconds, e.Message);
                await Task.Delay(delay, _clock.Time, stop).ConfigureAwait(false);
            }
        }
    }
}
