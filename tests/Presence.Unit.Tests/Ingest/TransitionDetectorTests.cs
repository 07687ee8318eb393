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
        _detector.OnWritten(Write(7, Now), WriteOutcome.Created);
        AssertTracked(7, Now);
        Assert.Equal(1, _log.Queued);
        Assert.Equal(1, _metrics.Transitions(TransitionKind.Online).Value);
    }

    [Fact]
    public void OnWritten_Refreshed_TracksTheNewerTimeWithoutAnEvent()
    {
        _detector.OnWritten(Write(7, Now), WriteOutcome.Created);
        _detector.OnWritten(Write(7, Now + 5_000), WriteOutcome.Refreshed);
        AssertTracked(7, Now + 5_000);
        _detector.OnWritten(Write(8, Now), WriteOutcome.Refreshed); // written before this ingester started watching
        AssertTracked(8, Now);
        Assert.Equal(1, _log.Queued);
        Assert.Equal(2, _detector.Tracker.Count);
    }

    [Fact]
    public void OnWritten_Deleted_QueuesSignoutAndUntracks()
    {
        _detector.OnWritten(Write(7, Now), WriteOutcome.Refreshed);
        _detector.OnWritten(Write(7, Now + 1_000, RecordKind.Offline), WriteOutcome.Deleted);
        Assert.False(_detector.Tracker.TryGet(7, out _));
        Assert.Equal(1, _log.Queued);
        Assert.Equal(1, _metrics.Transitions(TransitionKind.Signout).Value);
        Assert.Equal(0, _metrics.Transitions(TransitionKind.Online).Value);
    }

    [Fact]
    public void OnWritten_Absent_UntracksWithoutAnEvent()
    {
        _detector.OnWritten(Write(7, Now), WriteOutcome.Refreshed);
        _detector.OnWritten(Write(7, Now + 1_000, RecordKind.Offline), WriteOutcome.Absent);
        _detector.OnWritten(Write(9, Now, RecordKind.Offline), WriteOutcome.Absent); // never tracked: nothing to do
        Assert.Equal(0, _detector.Tracker.Count);
        Assert.Equal(0, _log.Queued);
        Assert.Equal(0, _metrics.Transitions(TransitionKind.Signout).Value);
    }

    [Fact]
    public void OnWritten_Failed_ChangesNothing()
    {
        _detector.OnWritten(Write(7, Now), WriteOutcome.Failed);
        Assert.Equal(0, _detector.Tracker.Count);
        Assert.Equal(0, _log.Queued);
    }

    private static PendingWrite Write(ulong user, long receiveMs, RecordKind kind = RecordKind.Heartbeat) => new(user, receiveMs, kind, 30_000);

    private void AssertTracked(ulong user, long writtenMs)
    {
        Assert.True(_detector.Tracker.TryGet(user, out long actual));
        Assert.Equal(writtenMs, actual);
    }
}
