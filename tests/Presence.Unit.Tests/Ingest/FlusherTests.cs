using System.Threading.Channels;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Presence.Ingest;
using Presence.Ingest.Internal;

namespace Presence.Unit.Tests.Ingest;

/// <summary>
/// The flush policy, stepped on a fake clock against a scripted store: the real coalescer, pending
/// set and admission control, so what is asserted is what the ingester does.
/// </summary>
public sealed class FlusherTests
{
    private const int FlushMs = 10; // the smallest --flush-ms: ticks fine enough to see each backoff exactly

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly IngestClock _clock;
    private readonly IngestMetrics _metrics = new();
    private readonly Coalescer _coalescer;
    private readonly AdmissionControl _room;
    private ScriptedStoreWriter _writer = null!;
    private Flusher _flusher = null!;

    public FlusherTests()
    {
        _clock = new IngestClock(_time);
        _room = new AdmissionControl(5, () => _flusher?.PendingUsers ?? 0);
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
        _flusher.Step();
        Assert.Equal(1, _flusher.PendingSetCount);
        Assert.False(_flusher.Flushing);
        Assert.Equal(1, _metrics.PendingUsers.Value);

        Tick();
        var rewrite = Assert.Single(_writer[1].Writes);
        Assert.Equal(1UL, rewrite.UserId);
        Assert.True(rewrite.ReceiveMs > firstMs);
        _writer.Complete(1, WriteOutcome.Refreshed);
        _flusher.Step();
        Assert.Equal(0, _flusher.PendingSetCount);
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
        var drain = _flusher.DrainAsync(TimeSpan.FromSeconds(5));
        long left = await DriveAsync(drain);

        Assert.Equal(0, left);
        Assert.Equal(0, _flusher.PendingUsers);
        Assert.Equal(7, _writer.CallCount); // 4 failed chunks of 2, then 5 users in chunks of 2
        Assert.Equal(start, _writer[4].AtMs); // at once, not when the backoff would have allowed
        Assert.Equal(5, _metrics.WritesOk.Value);
        Assert.Equal(0, _metrics.PendingUsers.Value);
    }

    [Fact]
    public async Task DrainAsync_FailureDuringDrain_RetriesAfterBackoff_ReturnsZero()
    {
        Build(chunkSize: 10);
        _writer.Answer = w => _writer.CallCount == 1 ? WriteOutcome.Failed : WriteOutcome.Refreshed;
        Receive(1, 2);

        long left = await DriveAsync(_flusher.DrainAsync(TimeSpan.FromHours(1)));

        Assert.Equal(0, left);
        Assert.Equal(2, _writer.CallCount);
        Assert.True(_writer[1].AtMs - _writer[0].AtMs >= 100, $"retried after {_writer[1].AtMs - _writer[0].AtMs} ms");
        Assert.Equal(2, _metrics.WritesFailed.Value);
        Assert.Equal(2, _metrics.WritesOk.Value);
    }

    [Fact]
    public async Task DrainAsync_WriterNeverAnswers_ReturnsUsersLeftAfterTimeout()
    {
        Build(chunkSize: 2);
        Receive(1, 2, 3, 4, 5);
        long start = _clock.NowMs;

        var drain = _flusher.DrainAsync(TimeSpan.FromSeconds(1));
        Assert.Equal(1, _writer.CallCount); // issued before the drain first awaits
        _writer.Complete(0, WriteOutcome.Refreshed);
        await Poll(() => _writer.CallCount == 2); // the second chunk is never answered
        long left = await DriveAsync(drain);

        Assert.Equal(3, left);
        Assert.True(_clock.NowMs - start >= 1000, $"gave up after {_clock.NowMs - start} ms");
        Assert.Equal(2, _metrics.WritesOk.Value);
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

    private TransitionDetector Build(int chunkSize, int ttlSeconds = 30, bool events = false)
    {
        var options = new IngestOptions { FlushMs = FlushMs, TtlSeconds = ttlSeconds, MaxPending = 1000 };
        _writer = new ScriptedStoreWriter(chunkSize, () => _clock.NowMs);
        TransitionDetector? detector = null;
        if (events)
        {
            var database = System.Reflection.DispatchProxy.Create<StackExchange.Redis.IDatabase, SilentDatabase>();
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

    /// <summary>
    /// Moves the fake clock on while a drain awaits it, until the drain returns. The real-time
    /// deadline only bounds a broken drain; fake time moves 10 ms per real millisecond or slower.
    /// </summary>
    private async Task<long> DriveAsync(Task<long> drain)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!drain.IsCompleted)
        {
            Assert.True(DateTime.UtcNow < deadline, "the drain did not return");
            AdvanceMs(10);
            await Task.WhenAny(drain, Task.Delay(1));
        }
        return await drain;
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
