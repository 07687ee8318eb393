using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Presence.Core.Events;
using Presence.Ingest;
using Presence.Ingest.Internal;
using StackExchange.Redis;

namespace Presence.Unit.Tests.Ingest;

/// <summary>
/// How a confirmed write's answer maps to the expiry tracker and the events log queue. Only
/// <see cref="TransitionDetector.OnWritten"/>, which makes no store call (the database here throws
/// on any); the checks and adoption that do are covered by the integration tests.
/// </summary>
public sealed class TransitionDetectorTests
{
    private const long Now = 1_750_000_000_000;

    private readonly IngestMetrics _metrics = new();
    private readonly EventLogAppender _log;
    private readonly TransitionDetector _detector;

    public TransitionDetectorTests()
    {
        var database = DispatchProxy.Create<IDatabase, UnreachableDatabase>();
        _log = new EventLogAppender(database, "presence:", TimeSpan.FromHours(1), new IngestClock(), _metrics, NullLogger.Instance);
        _detector = new TransitionDetector(database, "presence:", 30_000, Now, _log, _metrics, NullLogger.Instance);
    }

    [Fact]
    public void OnWritten_Created_QueuesOnlineAndTracks()
    {
        _detector.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        AssertTracked(7, Now);
        Assert.Equal(1, _log.Queued);
        Assert.Equal(1, _metrics.Transitions(TransitionKind.Online).Value);
    }

    [Fact]
    public void OnWritten_Refreshed_TracksTheNewerTimeWithoutAnEvent()
    {
        _detector.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        _detector.OnWritten(Write(7, Now + 5_000), WriteOutcome.Refreshed, Now);
        AssertTracked(7, Now + 5_000);
        _detector.OnWritten(Write(8, Now), WriteOutcome.Refreshed, Now); // written before this ingester started watching
        AssertTracked(8, Now);
        Assert.Equal(1, _log.Queued);
        Assert.Equal(2, _detector.Tracker.Count);
    }

    [Fact]
    public void OnWritten_Deleted_QueuesSignoutAndUntracks()
    {
        _detector.OnWritten(Write(7, Now), WriteOutcome.Refreshed, Now);
        _detector.OnWritten(Write(7, Now + 1_000, RecordKind.Offline), WriteOutcome.Deleted, Now);
        Assert.False(_detector.Tracker.TryGet(7, out _));
        Assert.Equal(1, _log.Queued);
        Assert.Equal(1, _metrics.Transitions(TransitionKind.Signout).Value);
        Assert.Equal(0, _metrics.Transitions(TransitionKind.Online).Value);
    }

    [Fact]
    public void OnWritten_Absent_UntracksWithoutAnEvent()
    {
        _detector.OnWritten(Write(7, Now), WriteOutcome.Refreshed, Now);
        _detector.OnWritten(Write(7, Now + 1_000, RecordKind.Offline), WriteOutcome.Absent, Now);
        _detector.OnWritten(Write(9, Now, RecordKind.Offline), WriteOutcome.Absent, Now); // never tracked: nothing to do
        Assert.Equal(0, _detector.Tracker.Count);
        Assert.Equal(0, _log.Queued);
        Assert.Equal(0, _metrics.Transitions(TransitionKind.Signout).Value);
    }

    [Fact]
    public void OnWritten_Failed_ChangesNothing()
    {
        _detector.OnWritten(Write(7, Now), WriteOutcome.Failed, Now);
        Assert.Equal(0, _detector.Tracker.Count);
        Assert.Equal(0, _log.Queued);
    }

    [Fact]
    public void OnWritten_Missing_QueuesTimeoutAtTheExpiryAndUntracks()
    {
        _detector.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        // The refresh of a heartbeat received at Now + 29 s arrived after the key lapsed at Now + 30 s.
        _detector.OnWritten(Write(7, Now + 29_000) with { Refresh = true }, WriteOutcome.Missing, Now + 31_000);
        Assert.False(_detector.Tracker.TryGet(7, out _));
        Assert.Equal(2, _log.Queued);
        Assert.Equal(1, _metrics.Transitions(TransitionKind.Timeout).Value);
        // The flusher writes it again with SET … GET, which finds no key: a new online period.
        _detector.OnWritten(Write(7, Now + 29_000), WriteOutcome.Created, Now + 31_100);
        AssertTracked(7, Now + 29_000);
        Assert.Equal(
            // The new period begins no earlier than the old one ended, though its heartbeat came before.
            [new(7, TransitionKind.Online, Now), new(7, TransitionKind.Timeout, Now + 30_000), new(7, TransitionKind.Online, Now + 30_000)],
            Taken());
    }

    [Fact]
    public void OnWritten_Missing_BeforeTheExpiry_IsATimeoutNoLaterThanNow()
    {
        // The key vanished with time left (a store restart, a FLUSHALL): offline as of when that was seen.
        _detector.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        _detector.OnWritten(Write(7, Now + 10_000) with { Refresh = true }, WriteOutcome.Missing, Now + 10_050);
        Assert.Equal([new(7, TransitionKind.Online, Now), new(7, TransitionKind.Timeout, Now + 10_050)], Taken());
        _detector.OnWritten(Write(8, Now) with { Refresh = true }, WriteOutcome.Missing, Now + 50); // not tracked: already said
        Assert.Equal(1, _metrics.Transitions(TransitionKind.Timeout).Value);
    }

    [Fact]
    public void OnWritten_Created_AfterTheTrackedKeyLapsed_QueuesItsTimeoutFirst()
    {
        _detector.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        // Back 40 s later; the write answered before the expiry check looked.
        _detector.OnWritten(Write(7, Now + 40_000), WriteOutcome.Created, Now + 40_100);
        Assert.Equal(3, _log.Queued);
        Assert.Equal(1, _metrics.Transitions(TransitionKind.Timeout).Value);
        Assert.Equal(2, _metrics.Transitions(TransitionKind.Online).Value);
        Assert.Equal(
            [new(7, TransitionKind.Online, Now), new(7, TransitionKind.Timeout, Now + 30_000), new(7, TransitionKind.Online, Now + 40_000)],
            Taken());
        AssertTracked(7, Now + 40_000);
        // A Created within the key's time (a retried write whose first answer was lost) is no lapse.
        _detector.OnWritten(Write(7, Now + 50_000), WriteOutcome.Created, Now + 50_100);
        Assert.Equal(1, _metrics.Transitions(TransitionKind.Timeout).Value);
    }

    private static PendingWrite Write(ulong user, long receiveMs, RecordKind kind = RecordKind.Heartbeat) => new(user, receiveMs, kind, 30_000);

    private List<PresenceTransition> Taken()
    {
        var taken = new List<PresenceTransition>();
        while (_log.TryTake(out var transition))
            taken.Add(transition);
        return taken;
    }

    private void AssertTracked(ulong user, long writtenMs)
    {
        Assert.True(_detector.Tracker.TryGet(user, out long actual));
        Assert.Equal(writtenMs, actual);
    }
}
