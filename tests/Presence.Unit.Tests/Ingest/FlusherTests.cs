using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Presence.Ingest;
using Presence.Ingest.Internal.Coalesce;
using Presence.Ingest.Internal.Flush;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Intake;
using Presence.Ingest.Internal.Transitions;
using Presence.Testing.StandIns;

namespace Presence.Unit.Tests.Ingest;

/// <summary>
/// The flush policy, stepped on a fake clock against a scripted store: the real coalescer, pending
/// set and admission control, so what is asserted is what the ingester does.
/// </summary>
public sealed class FlusherTests
{
    private const int FlushMs = 10; // the smallest --flush-ms: ticks fine enough to see each backoff exactly

    private readonly TimerTrackingTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly IngestClock _clock;
    private readonly IngestMetrics _metrics = new();
    private readonly Coalescer _coalescer;
    private readonly PendingBudget _room;
    private ScriptedStoreWriter _writer = null!;
    private Flusher _flusher = null!;

    public FlusherTests()
    {
        _clock = new IngestClock(_time);
        _room = new PendingBudget(5, () => _flusher?.PendingUsers ?? 0);
        _coalescer = new Coalescer(Channel.CreateUnbounded<RecordBatch>().Reader, new RecordBatchPool(64), _metrics, _room);
    }

    [Fact]
    public void Step_AfterFailedFlush_RetriesOnlyWhenBackoffIsUp_DoublingToCap_ResetAfterSuccess()
    {
        Build(chunkSize: 10);
        _writer.Answer = _ => WriteOutcome.Failed;
        Receive(1);
        TickUntilCalls(8);

        // Each retry at exactly the failure's time + its backoff: no tick earlier issues a write, and the first one after does.
        Assert.Equal([100L, 200, 400, 800, 1600, 2000, 2000], Gaps(0, 8));
        Assert.Equal(8, _flusher.ConsecutiveFailures);
        Assert.Equal(8, _metrics.WritesFailed.Value);
        Assert.Equal(0, _metrics.StoreUp.Value);
        Assert.Equal(_writer[7].AtMs + 2000, _flusher.NextAttemptMs);

        _writer.Answer = _ => WriteOutcome.Refreshed;
        TickUntilCalls(9);
        Assert.Equal(2000, _writer[8].AtMs - _writer[7].AtMs);
        Assert.Equal(0, _flusher.PendingSetCount);
        Assert.Equal(0, _flusher.ConsecutiveFailures);
        Assert.Equal(1, _metrics.WritesOk.Value);
        Assert.Equal(1, _metrics.StoreUp.Value);

        // A new failure after the recovery starts again from the first step.
        _writer.Answer = _ => WriteOutcome.Failed;
        Receive(2);
        TickUntilCalls(11);
        Assert.Equal(100, _writer[10].AtMs - _writer[9].AtMs);
    }

    [Fact]
    public async Task Step_ChunkAnswered_ItsUsersLeavePendingAndRoomReturns_WhileLaterChunksWait()
    {
        Build(chunkSize: 2);
        Receive(1, 2, 3, 4, 5);
        Tick();
        Assert.Equal(1, _writer.CallCount); // one chunk in flight at a time
        Assert.Equal(2, _writer[0].Writes.Length);
        Assert.Equal(5, _flusher.PendingSetCount);
        Assert.Equal(5, _metrics.PendingUsers.Value);

        var waiting = _room.ReserveAsync(1, CancellationToken.None).AsTask(); // 5 held of 5: a TCP batch waits
        Assert.False(waiting.IsCompleted);

        _writer.Complete(0, WriteOutcome.Refreshed);
        _flusher.Step(); // no tick is due: the answer alone confirms the chunk
        Assert.Equal(3, _flusher.PendingSetCount);
        Assert.Equal(3, _metrics.PendingUsers.Value);
        Assert.Equal(2, _metrics.WritesOk.Value);
        Assert.Equal(2, _writer.CallCount); // the next chunk went out at once
        Assert.True(_flusher.Flushing);
        await waiting.WaitAsync(TimeSpan.FromSeconds(30)); // room came back with the confirmation, not at the flush's end

        _writer.Complete(1, w => w.UserId == _writer[1].Writes[0].UserId ? WriteOutcome.Failed : WriteOutcome.Created);
        _flusher.Step();
        Assert.Equal(2, _flusher.PendingSetCount);
        Assert.Equal(3, _metrics.WritesOk.Value);
        Assert.Equal(1, _metrics.WritesFailed.Value);
        Assert.Equal(3, _writer.CallCount);
        Assert.Single(_writer[2].Writes);

        _writer.Complete(2, WriteOutcome.Refreshed);
        _flusher.Step();
        Assert.False(_flusher.Flushing);
        Assert.Equal(1, _flusher.PendingSetCount);
        Assert.True(_flusher.PendingSetCount > 0 && _flusher.NextAttemptMs > _clock.NowMs); // a failed write: backoff before the next flush
        Assert.Equal(4, _metrics.WritesOk.Value);
        Assert.Equal(1, _metrics.WritesFailed.Value);
    }

    [Fact]
    public void Step_ChunkAnswered_TheNextIsIssuedBeforeItsOutcomesAreTaken()
    {
        Build(chunkSize: 2);
        var pendingAtIssue = new List<int>();
        _writer.OnIssue = () => pendingAtIssue.Add(_flusher.PendingSetCount);
        Receive(1, 2, 3, 4, 5);
        Tick();

        _writer.Complete(0, WriteOutcome.Refreshed);
        _flusher.Step();

        // The store works on the next chunk while this one's users are confirmed: issued with all 5 still pending.
        Assert.Equal([5, 5], pendingAtIssue);
        Assert.Equal(3, _flusher.PendingSetCount);
        Assert.Equal(2, _metrics.WritesOk.Value);
        Assert.DoesNotContain(_writer[1].Writes, w => _writer[0].Writes.Any(x => x.UserId == w.UserId));
    }

    [Fact]
    public void Step_ChunkWhollyFailedWithStoreAway_StopsTheRestOfTheSnapshot()
    {
        Build(chunkSize: 2);
        _writer.Answer = _ => WriteOutcome.Failed;
        _writer.WholeStoreAway = true;
        Receive(1, 2, 3, 4, 5);
        Tick();
        AssertFlushed(calls: 1, ok: 0, failed: 2, pending: 5); // the chunks not issued are not counted as writes
        Assert.Equal(_clock.NowMs + 100, _flusher.NextAttemptMs);
    }

    [Fact]
    public void Step_ChunkWhollyFailedWithStoreNotAway_GoesOnWithTheNextChunks()
    {
        Build(chunkSize: 2);
        _writer.Answer = _ => _writer.CallCount == 1 ? WriteOutcome.Failed : WriteOutcome.Refreshed; // one node of a cluster away
        _writer.WholeStoreAway = false;
        Receive(1, 2, 3, 4, 5);
        Tick();
        AssertFlushed(calls: 3, ok: 3, failed: 2, pending: 2);
        Assert.True(_flusher.NextAttemptMs > _clock.NowMs);
    }

    [Fact]
    public void Step_PartialFailure_ContinuesWithTheNextChunks_FailedUsersStayPending()
    {
        Build(chunkSize: 2);
        _writer.WholeStoreAway = true; // even so: a chunk with one success shows the store is there
        _writer.Answer = w => w == _writer[_writer.CallCount - 1].Writes[0] ? WriteOutcome.Failed : WriteOutcome.Refreshed; // each chunk's first
        Receive(1, 2, 3, 4, 5);
        Tick();
        AssertFlushed(calls: 3, ok: 2, failed: 3, pending: 3);
        Assert.Equal(1, _flusher.ConsecutiveFailures);

        _writer.Answer = _ => WriteOutcome.Refreshed;
        TickUntilCalls(5);
        var failed = Enumerable.Range(0, 3).Select(i => _writer[i].Writes[0].UserId).Order();
        Assert.Equal(failed, _writer[3].Writes.Concat(_writer[4].Writes).Select(w => w.UserId).Order());
        Assert.Equal(0, _flusher.PendingSetCount);
    }

    [Fact]
    public void Step_ChunkTaskFaulted_ItsUsersStayPendingAndCountAsFailed()
    {
        Build(chunkSize: 10);
        _writer.Answer = _ => WriteOutcome.Refreshed;
        Receive(1);
        Tick(); // the outcome buffer now holds a Refreshed from this flush
        Assert.Equal(0, _flusher.PendingSetCount);

        _writer.Answer = null;
        Receive(2);
        Tick();
        _writer.Fault(1, new InvalidOperationException("a writer bug"));
        _flusher.Step();

        Assert.Equal(1, _flusher.PendingSetCount); // not confirmed by the previous flush's outcome left in the buffer
        Assert.Equal(1, _metrics.WritesOk.Value);
        Assert.Equal(1, _metrics.WritesFailed.Value);
        Assert.True(_flusher.NextAttemptMs > _clock.NowMs);
    }

    [Fact]
    public void Step_WriterThrowsWhenIssuing_UsersStayPendingAndTheFlusherGoesOn()
    {
        Build(chunkSize: 10);
        _writer.ThrowOnIssue = true;
        Receive(1);
        Tick();
        Assert.Equal(1, _flusher.PendingSetCount);
        Assert.False(_flusher.Flushing);
        Assert.Equal(1, _metrics.WritesFailed.Value);

        _writer.ThrowOnIssue = false;
        _writer.Answer = _ => WriteOutcome.Refreshed;
        TickUntilCalls(2);
        Assert.Equal(0, _flusher.PendingSetCount);
    }

    [Fact]
    public void Step_NewerRecordArrivesWhileWriteInFlight_UserStaysPendingAndCountsOnce()
    {
        Build(chunkSize: 10);
        Receive(1, 2);
        Tick();
        long firstMs = _writer[0].Writes.Single(w => w.UserId == 1).ReceiveMs;

        AdvanceMs(1);
        Receive(1); // a newer heartbeat while the write of the older one is in flight
        Tick(); // merged into the pending set; no second flush while one is under way
        Assert.Equal(1, _writer.CallCount);
        Assert.Equal(2, _metrics.PendingUsers.Value); // user 1 once, though it is in flight and has a newer record

        _writer.Complete(0, WriteOutcome.Refreshed);
        long answeredMs = _clock.NowMs;
        _flusher.Step();
        Assert.Equal(1, _flusher.PendingSetCount);
        Assert.Equal(1, _metrics.PendingUsers.Value);

        // The flush outlasted a tick that merged a user: the next flush starts with the answer, not at the next tick.
        Assert.Equal(2, _writer.CallCount);
        Assert.Equal(answeredMs, _writer[1].AtMs);
        var rewrite = Assert.Single(_writer[1].Writes);
        Assert.Equal(1UL, rewrite.UserId);
        Assert.True(rewrite.ReceiveMs > firstMs);
        _writer.Complete(1, WriteOutcome.Refreshed);
        _flusher.Step();
        Assert.Equal(0, _flusher.PendingSetCount);
        Assert.False(_flusher.Flushing);
    }

    [Fact]
    public async Task Step_FlushStartedAtOnce_DropsTheUsersWhoseTtlRanOut_GaugeAndRoomAtOnce()
    {
        Build(chunkSize: 10, ttlSeconds: 1);
        _writer.Answer = null; // the store answers only when told
        Receive(1);
        Tick();
        Receive(2, 3, 4, 5);
        Tick(); // merged while the flush of user 1 is under way: 5 held of 5
        var waiting = _room.ReserveAsync(2, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);

        AdvanceMs(1_000);
        _flusher.Step(); // a tick: users 2-5 have had their ttl, unwritten, and still count as held
        Assert.Equal(5, _metrics.PendingUsers.Value);

        _writer.Complete(0, WriteOutcome.Refreshed);
        _flusher.Step(); // no tick is due: the answer confirms user 1 and the next flush starts at once, its snapshot dropping 2-5
        Assert.Equal(1, _writer.CallCount); // nothing left to write
        Assert.False(_flusher.Flushing);
        Assert.Equal(0, _flusher.PendingSetCount);
        Assert.Equal(4, _metrics.UsersExpired.Value);
        Assert.Equal(0, _metrics.PendingUsers.Value); // the gauge and the room follow the drop now, not at the next tick
        await waiting.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Step_FlushThatOutlastsATickAndFails_TheNextWaitsForTheBackoff_NotStartedAtOnce()
    {
        Build(chunkSize: 10);
        _writer.Answer = null; // the store answers only when told
        Receive(1);
        Tick();
        Assert.Equal(1, _writer.CallCount);

        Receive(2);
        Tick(); // merged while the flush is under way
        Assert.Equal(1, _writer.CallCount);

        _writer.Complete(0, WriteOutcome.Failed);
        long failedMs = _clock.NowMs;
        _flusher.Step();
        Assert.Equal(1, _writer.CallCount); // users 1 and 2 wait for the backoff, not a flush at once
        Assert.False(_flusher.Flushing);
        Assert.Equal(2, _flusher.PendingSetCount);
        Assert.Equal(failedMs + 100, _flusher.NextAttemptMs);

        while (_clock.NowMs < failedMs + 100)
        {
            Tick();
            Assert.Equal(_clock.NowMs < failedMs + 100 ? 1 : 2, _writer.CallCount);
        }
        Assert.Equal([1UL, 2UL], _writer[1].Writes.Select(w => w.UserId).Order());
    }

    [Fact]
    public void Step_UserWhoseTtlRanOutWhileStoreAway_IsDroppedAndCounted()
    {
        Build(chunkSize: 10, ttlSeconds: 1);
        _writer.Answer = _ => WriteOutcome.Failed;
        Receive(1);
        long receivedMs = _clock.NowMs;
        // Attempts at +10, +110, +310, +710; the next may start at +1510, past the ttl of user 1.
        TickUntilCalls(4);
        while (_clock.NowMs < receivedMs + 1000)
            Tick();
        Receive(2);
        TickUntilCalls(5);

        var write = Assert.Single(_writer[4].Writes);
        Assert.Equal(2UL, write.UserId);
        Assert.Equal(receivedMs + 1510, _writer[4].AtMs);
        Assert.Equal(write.ReceiveMs + 1000 - _writer[4].AtMs, write.TtlLeftMs);
        Assert.Equal(1, _metrics.UsersExpired.Value);
        Assert.Equal(1, _flusher.PendingSetCount);
        Assert.Equal(1, _metrics.PendingUsers.Value);
    }

    [Fact]
    public async Task DrainAsync_StoreAnswers_WritesEverythingPendingWithoutWaitingOutTheBackoff_ReturnsZero()
    {
        Build(chunkSize: 2);
        _writer.Answer = _ => WriteOutcome.Failed;
        Receive(1, 2, 3);
        TickUntilCalls(4); // backoff now at 800 ms
        Assert.True(_flusher.NextAttemptMs > _clock.NowMs + FlushMs);
        Receive(4, 5); // in the open window, not yet merged

        _writer.Answer = _ => WriteOutcome.Refreshed;
        long start = _clock.NowMs;
        long left = await DrainAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(0, left);
        Assert.Equal(start, _clock.NowMs); // returned without waiting for anything
        Assert.Equal(0, _flusher.PendingUsers);
        Assert.Equal(7, _writer.CallCount); // 4 failed chunks of 2, then 5 users in chunks of 2
        Assert.All(Enumerable.Range(4, 3), i => Assert.Equal(start, _writer[i].AtMs)); // at once, not when the backoff would have allowed
        Assert.Equal(new ulong[] { 1, 2, 3, 4, 5 }, Enumerable.Range(4, 3).SelectMany(i => _writer[i].Writes).Select(w => w.UserId).Order()); // each once
        Assert.Equal(5, _metrics.WritesOk.Value);
        Assert.Equal(0, _metrics.PendingUsers.Value);
    }

    [Fact]
    public async Task DrainAsync_FailureDuringDrain_RetriesExactlyWhenTheBackoffIsUp_ReturnsZero()
    {
        Build(chunkSize: 10);
        _writer.Answer = w => _writer.CallCount == 1 ? WriteOutcome.Failed : WriteOutcome.Refreshed;
        Receive(1, 2);
        long start = _clock.NowMs;

        long left = await DrainAsync(TimeSpan.FromHours(1));

        Assert.Equal(0, left);
        Assert.Equal(2, _writer.CallCount);
        Assert.Equal(start, _writer[0].AtMs);
        Assert.Equal(start + 100, _writer[1].AtMs); // the first backoff step, neither earlier nor later
        Assert.Equal(start + 100, _clock.NowMs);    // and returned as soon as it was written
        Assert.Equal(new ulong[] { 1, 2 }, _writer[1].Writes.Select(w => w.UserId).Order());
        Assert.Equal(2, _metrics.WritesFailed.Value);
        Assert.Equal(2, _metrics.WritesOk.Value);
    }

    [Fact]
    public async Task DrainAsync_WriterNeverAnswers_ReturnsUsersLeftAtTheTimeout()
    {
        Build(chunkSize: 2);
        Receive(1, 2, 3, 4, 5);
        long start = _clock.NowMs;
        long timers = _time.Created;

        var drain = _flusher.DrainAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(1, _writer.CallCount); // issued before the drain first awaits
        _writer.Complete(0, WriteOutcome.Refreshed);
        await Poll(() => _writer.CallCount == 2); // the second chunk is never answered
        long left = await DriveAsync(drain, timers);

        Assert.Equal(3, left);
        Assert.Equal(start + 1000, _clock.NowMs); // gave up exactly at the timeout
        Assert.Equal(2, _metrics.WritesOk.Value);
        Assert.Equal(3, _flusher.PendingSetCount);
    }

    [Fact]
    public void Step_BacklogOfSeveralChunks_OldestUsersWrittenFirst_AndWriteLagObserved()
    {
        Build(chunkSize: 2);
        _writer.Answer = null; // hold every chunk: the store is away, the backlog grows
        Receive(1);
        Tick();                          // a flush of user 1 starts and hangs
        AdvanceMs(1_000);
        Receive(30);                     // 1.0 s later
        AdvanceMs(1_000);
        Receive(20, 21);                 // 2.0 s later
        AdvanceMs(1_000);
        Receive(10);                     // 3.0 s later
        _writer.Complete(0, WriteOutcome.Failed);
        AdvanceMs(10_000);               // past any backoff
        _writer.Answer = _ => WriteOutcome.Created;
        TickUntilCalls(4);               // users 1, 30, 20, 21, 10 in three chunks of 2
        Assert.Equal([1UL, 30UL], _writer[1].Writes.Select(w => w.UserId));
        Assert.Equal([20UL, 21UL], _writer[2].Writes.Select(w => w.UserId).Order());
        Assert.Equal([10UL], _writer[3].Writes.Select(w => w.UserId));
        Assert.Equal(5, _metrics.WriteLag.Count);
        Assert.InRange(_metrics.WriteLag.Sum, 5 * 10.0, 5 * 14.0); // each written ~10-13 s after it was received
    }

    [Fact]
    public void Step_EventsOn_AUserWhoseKeyHasTimeLeft_IsRefreshed_AMissingKeyIsWrittenAgainAtOnce()
    {
        var detector = Build(chunkSize: 10, events: true);
        _writer.Answer = _ => WriteOutcome.Created;
        Receive(1);
        TickUntilCalls(1);
        Assert.False(_writer[0].Writes[0].Refresh); // not known yet: SET … GET tells whether a period begins
        Assert.True(detector.Tracker.TryGet(1, out _));

        AdvanceMs(10_000);
        _writer.Answer = _ => WriteOutcome.Refreshed;
        Receive(1);
        TickUntilCalls(2);
        Assert.True(_writer[1].Writes[0].Refresh); // written 10 s ago, 20 s left: SET … XX

        AdvanceMs(27_950); // 2.05 s left: still a refresh
        Receive(1);
        TickUntilCalls(3);
        Assert.True(_writer[2].Writes[0].Refresh);

        AdvanceMs(28_100); // 1.9 s left, under the margin: SET … GET
        Receive(1);
        TickUntilCalls(4);
        Assert.False(_writer[3].Writes[0].Refresh);

        // The refresh finds the key gone (it lapsed, or the store lost it): not a failure, no backoff,
        // the user stays pending and the next tick writes it with SET … GET.
        AdvanceMs(5_000);
        _writer.Answer = _ => WriteOutcome.Missing;
        Receive(1);
        TickUntilCalls(5);
        Assert.True(_writer[4].Writes[0].Refresh);
        Assert.Equal(1, _flusher.PendingSetCount);
        Assert.Equal(1, _metrics.WritesMissing.Value);
        Assert.Equal(0, _metrics.WritesFailed.Value);
        Assert.Equal(0, _flusher.ConsecutiveFailures);
        Assert.Equal(1, _metrics.StoreUp.Value);
        Assert.False(detector.Tracker.TryGet(1, out _));

        _writer.Answer = _ => WriteOutcome.Created;
        long before = _clock.NowMs;
        TickUntilCalls(6);
        Assert.Equal(before + FlushMs, _writer[5].AtMs); // the very next tick
        Assert.False(_writer[5].Writes[0].Refresh);
        Assert.Equal(0, _flusher.PendingSetCount);
        Assert.Equal(5, _metrics.WritesOk.Value);
    }

    [Fact]
    public void Step_ChunkIssuedLate_GetsTheTimeLeftWhenIssued_AndAWriteWithNoneLeftIsNotIssued()
    {
        Build(chunkSize: 2, ttlSeconds: 2);
        _writer.Answer = null; // the store answers only when told
        long t0 = _clock.NowMs;
        Receive(1, 2);
        AdvanceMs(1_000);
        Receive(3, 4);
        AdvanceMs(500);
        Receive(5);
        Tick(); // one flush of 5 users in 3 chunks; the first goes out now, the others after it is answered
        Assert.Equal(t0 + 1_510, _writer[0].AtMs);
        Assert.All(_writer[0].Writes, w => Assert.Equal(490, w.TtlLeftMs)); // receive + ttl − now

        AdvanceMs(1_690); // the first chunk is answered at t0 + 3,200: users 3 and 4 (t0 + 1,000) ran out at t0 + 3,000
        _writer.Complete(0, WriteOutcome.Refreshed);
        _flusher.Step();

        Assert.Equal(2, _writer.CallCount);
        var late = Assert.Single(_writer[1].Writes); // 3 and 4 not issued at all
        Assert.Equal((5UL, t0 + 1_500), (late.UserId, late.ReceiveMs));
        Assert.Equal(t0 + 3_200, _writer[1].AtMs);
        Assert.Equal(late.ReceiveMs + 2_000 - _writer[1].AtMs, late.TtlLeftMs); // 300: its key expires at receive + ttl, not 1.7 s later
        Assert.Equal(2, _metrics.UsersExpired.Value);
        Assert.Equal(1, _flusher.PendingSetCount); // 3 and 4 left, 5 in flight

        _writer.Complete(1, WriteOutcome.Refreshed);
        _flusher.Step();
        Assert.False(_flusher.Flushing);
        Assert.Equal(0, _flusher.PendingSetCount);
        Assert.Equal(3, _metrics.WritesOk.Value);
        Assert.Equal(0, _metrics.WritesFailed.Value);
    }

    [Fact]
    public void Step_ChunkWhoseEveryWriteRanOut_EndsTheFlushWithoutIssuingIt()
    {
        Build(chunkSize: 1, ttlSeconds: 1);
        _writer.Answer = null;
        Receive(1);
        AdvanceMs(100);
        Receive(2);
        Tick();
        AdvanceMs(2_000); // both ran out while the first write was in flight
        _writer.Complete(0, WriteOutcome.Refreshed);
        _flusher.Step();

        Assert.Equal(1, _writer.CallCount);
        Assert.False(_flusher.Flushing);
        Assert.Equal(1, _metrics.UsersExpired.Value);
        Assert.Equal(0, _flusher.PendingSetCount);
        Assert.Equal(0, _flusher.ConsecutiveFailures); // an ended flush, not a failed one
    }

    [Fact]
    public void Step_EventsOn_AUserWhoseNewerWriteIsInFlight_IsNotCheckedUntilItIsAnswered()
    {
        var (database, script) = ScriptedDatabase.Create();
        var detector = Build(chunkSize: 10, events: true, database: database);
        _writer.Answer = _ => WriteOutcome.Created;
        long t0 = _clock.NowMs;
        Receive(1);
        TickUntilCalls(1);
        Assert.True(detector.Tracker.TryGet(1, out long written));
        Assert.Equal(t0, written);

        AdvanceMs(25_000);
        _writer.Answer = null; // the next write waits in a slow store
        Receive(1);
        long newer = _clock.NowMs;
        TickUntilCalls(2);
        script.Get = _ => t0; // the key, with its old value, outlives t0 + ttl by the write's delay
        while (_clock.NowMs < t0 + 40_000)
            Tick(); // 1,500 ticks past the old write's time + ttl
        Assert.True(script.Gets.Count == 0, $"{script.Gets.Count} GETs while the write was pending"); // its answer will tell

        _writer.Complete(1, WriteOutcome.Refreshed);
        _flusher.Step();
        Assert.True(detector.Tracker.TryGet(1, out written));
        Assert.Equal(newer, written);
        script.Get = _ => StackExchange.Redis.RedisValue.Null;
        while (_clock.NowMs < newer + 30_000 + 5 * FlushMs)
            Tick();
        Assert.Equal(["presence:1"], script.Gets); // due once, at newer + ttl: one GET, found gone
        Assert.False(detector.Tracker.TryGet(1, out _));
        Assert.Equal(1, _metrics.Transitions(Presence.Core.Events.TransitionKind.Timeout).Value);
    }

    [Fact]
    public void Step_EventsOff_NoWriteIsARefresh()
    {
        Build(chunkSize: 10);
        _writer.Answer = _ => WriteOutcome.Refreshed;
        Receive(1);
        TickUntilCalls(1);
        AdvanceMs(10_000);
        Receive(1);
        TickUntilCalls(2);
        Assert.False(_writer[1].Writes[0].Refresh);
    }

    [Fact]
    public void WriteLag_TheOldestWriteOfTheChunkAnsweredLast_ZeroOnceNobodyIsPending()
    {
        Build(chunkSize: 2);
        Receive(1, 2);
        AdvanceMs(400);
        Receive(3);
        Tick();
        Assert.Equal(1, _writer.CallCount);
        Assert.Equal(0, _flusher.WriteLagMs); // nothing answered yet

        AdvanceMs(2_000); // the store is slow: presence writes fall behind
        _writer.Complete(0, WriteOutcome.Refreshed);
        _flusher.Step();
        Assert.Equal(2_000 + 400 + FlushMs, _flusher.WriteLagMs); // users 1 and 2, received first

        AdvanceMs(5_000);
        _writer.Complete(1, WriteOutcome.Failed); // not written: says nothing of how far behind the writes that land are
        _flusher.Step();
        Assert.Equal(2_000 + 400 + FlushMs, _flusher.WriteLagMs);

        _writer.Answer = _ => WriteOutcome.Refreshed;
        TickUntilCalls(3);
        Assert.False(_flusher.Flushing);
        Assert.Equal(0, _flusher.PendingSetCount);
        Assert.Equal(0, _flusher.WriteLagMs); // caught up
    }

    private TransitionDetector Build(int chunkSize, int ttlSeconds = 30, bool events = false, StackExchange.Redis.IDatabase? database = null)
    {
        var options = new IngestOptions { FlushMs = FlushMs, TtlSeconds = ttlSeconds, MaxPending = 1000 };
        _writer = new ScriptedStoreWriter(chunkSize, () => _clock.NowMs);
        TransitionDetector? detector = null;
        if (events)
        {
            database ??= System.Reflection.DispatchProxy.Create<StackExchange.Redis.IDatabase, SilentDatabase>();
            var log = new EventLogAppender(database, "presence:", TimeSpan.FromHours(1), _clock, _metrics, NullLogger.Instance);
            detector = new TransitionDetector(database, "presence:", ttlSeconds * 1000L, _clock.NowMs, log, _metrics, NullLogger.Instance);
        }
        _flusher = new Flusher(_coalescer, _writer, options, _metrics, _clock, NullLogger.Instance, _room, detector);
        return detector!;
    }

    private void Receive(params ulong[] users)
    {
        var batch = new RecordBatch(users.Length) { ReceiveMs = _clock.NowMs };
        foreach (var user in users)
            batch.Add(user, RecordKind.Heartbeat);
        _coalescer.Apply(batch);
    }

    /// <summary>A flush has ended: the chunks it issued, the writes counted, and the users left (set and gauge).</summary>
    private void AssertFlushed(int calls, long ok, long failed, int pending)
    {
        Assert.False(_flusher.Flushing);
        Assert.Equal(calls, _writer.CallCount);
        Assert.Equal(ok, _metrics.WritesOk.Value);
        Assert.Equal(failed, _metrics.WritesFailed.Value);
        Assert.Equal(pending, _flusher.PendingSetCount);
        Assert.Equal(pending, _metrics.PendingUsers.Value);
    }

    private void AdvanceMs(long ms) => _time.Advance(TimeSpan.FromMilliseconds(ms));

    /// <summary>Advances to the next tick and steps until no answer given at once is left to take.</summary>
    private void Tick()
    {
        AdvanceMs(FlushMs);
        _flusher.Step();
        for (int i = 0; i < 1000 && _flusher.Flushing && _writer[_writer.CallCount - 1].Done.IsCompleted; i++)
            _flusher.Step();
    }

    private void TickUntilCalls(int calls)
    {
        for (int i = 0; i < 100_000 && _writer.CallCount < calls; i++)
            Tick();
        Assert.Equal(calls, _writer.CallCount);
    }

    private long[] Gaps(int from, int to) =>
        Enumerable.Range(from + 1, to - from - 1).Select(i => _writer[i].AtMs - _writer[i - 1].AtMs).ToArray();

    private Task<long> DrainAsync(TimeSpan timeout)
    {
        long timers = _time.Created;
        return DriveAsync(_flusher.DrainAsync(timeout), timers);
    }

    /// <summary>
    /// Moves the fake clock while a drain waits on it, each time to exactly when the timer it set
    /// last is due, until the drain returns. The drain awaits nothing else here (the scripted
    /// writer answers at once, or never), so a new timer means it waits on that timer. The
    /// real-time deadline only bounds a broken drain.
    /// </summary>
    private async Task<long> DriveAsync(Task<long> drain, long timersBefore)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        long seen = timersBefore;
        while (true)
        {
            while (!drain.IsCompleted && _time.Created == seen)
            {
                Assert.True(DateTime.UtcNow < deadline, "the drain did not return");
                await Task.WhenAny(drain, Task.Delay(1));
            }
            if (drain.IsCompleted)
                return await drain;
            seen = _time.Created;
            _time.AdvanceTo(_time.LastDue);
        }
    }

    private static async Task Poll(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(1);
        }
    }
}
