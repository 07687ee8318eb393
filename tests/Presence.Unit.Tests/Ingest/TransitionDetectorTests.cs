using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Presence.Core.Events;
using Presence.Ingest;
using Presence.Ingest.Internal;
using StackExchange.Redis;

namespace Presence.Unit.Tests.Ingest;

/// <summary>
/// How a confirmed write's answer maps to the expiry tracker and the events log queue
/// (<see cref="TransitionDetector.OnWritten"/>, which makes no store call: the database here throws
/// on any), and what each answer of an expiry check does (against a scripted GET).
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
        Assert.Equal(1, _log.Queued);
        _detector.OnWritten(Write(8, Now) with { Refresh = true }, WriteOutcome.Refreshed, Now); // a refresh never begins a period
        AssertTracked(8, Now);
        Assert.Equal(1, _log.Queued);
        Assert.Equal(2, _detector.Tracker.Count);
    }

    [Fact]
    public void OnWritten_SetGetFindsAKeyOfAUserNotKnownOnline_QueuesAPossibleOnlineNotCounted()
    {
        // Written by another ingester, or by one killed before it appended the online line: the log
        // may hold 9 offline while its key exists. The log drops the line if it has 9 online.
        _detector.OnWritten(Write(9, Now), WriteOutcome.Refreshed, Now + 100);
        Assert.Equal([new(9, TransitionKind.Online, Now)], Taken());
        Assert.Equal(0, _metrics.Transitions(TransitionKind.Online).Value); // the log decides whether it is one
        AssertTracked(9, Now);

        // Known online since: a SET … GET finding its key (less than 2 s left at issue) is a refresh.
        _detector.OnWritten(Write(9, Now + 29_000), WriteOutcome.Refreshed, Now + 29_100);
        Assert.Empty(Taken());
    }

    [Fact]
    public void OnWritten_Deleted_QueuesSignoutAndUntracks()
    {
        _detector.OnWritten(Write(7, Now), WriteOutcome.Refreshed, Now);
        Taken(); // the possible online of a user first met (OnWritten_SetGetFindsAKey…)
        _detector.OnWritten(Write(7, Now + 1_000, RecordKind.Offline), WriteOutcome.Deleted, Now);
        Assert.False(_detector.Tracker.TryGet(7, out _));
        Assert.Equal(1, _log.Queued);
        Assert.Equal(1, _metrics.Transitions(TransitionKind.Signout).Value);
        Assert.Equal(0, _metrics.Transitions(TransitionKind.Online).Value);
    }

    [Fact]
    public void OnWritten_Absent_ForAUserNotTracked_NoEvent()
    {
        _detector.OnWritten(Write(9, Now, RecordKind.Offline), WriteOutcome.Absent, Now); // never tracked: already offline
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
        // A retried write whose first answer was lost found its own value: no proof of a lapse.
        _detector.OnWritten(Write(7, Now + 50_000), WriteOutcome.Landed, Now + 50_100);
        Assert.Equal(1, _metrics.Transitions(TransitionKind.Timeout).Value);
        Assert.Equal([new(7, TransitionKind.Online, Now + 50_000)], Taken()); // dropped by the log, which has 7 online
    }

    [Fact]
    public void OnWritten_RefreshedAfterAnUnansweredSetGet_PossibleOnlineDatedFromTheFirstAttempt()
    {
        // SET … GET of Now went unanswered (it landed: the store restarted after applying it); the
        // retry carries a newer heartbeat (Now + 1 s) and finds the key the first attempt wrote.
        _detector.OnUnanswered(Write(7, Now));
        _detector.OnUnanswered(Write(7, Now + 500));
        _detector.OnWritten(Write(7, Now + 1_000), WriteOutcome.Refreshed, Now + 2_000);
        Assert.Equal([new(7, TransitionKind.Online, Now)], Taken());
        AssertTracked(7, Now + 1_000);
    }

    [Fact]
    public void OnWritten_AbsentAfterAnUnansweredSignOut_IsThatSignOut()
    {
        // The DEL of Now + 1 s went unanswered (the store was paused) and ran when it resumed: its
        // retry finds no key. Without this the sign-out was never logged: 7 stayed online in the log.
        _detector.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        Taken();
        _detector.OnUnanswered(Write(7, Now + 1_000, RecordKind.Offline));
        _detector.OnWritten(Write(7, Now + 1_000, RecordKind.Offline), WriteOutcome.Absent, Now + 5_000);
        Assert.Equal([new(7, TransitionKind.Signout, Now + 1_000)], Taken());
        Assert.False(_detector.Tracker.TryGet(7, out _));
    }

    [Fact]
    public void OnWritten_CreatedAfterAnUnansweredSignOut_LogsTheSignOutThenTheOnline()
    {
        // The unanswered DEL landed; the user's next heartbeat (a newer state replaced the DEL in the
        // pending set) finds no key: the sign-out, then the new period, no earlier than it.
        _detector.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        Taken();
        _detector.OnUnanswered(Write(7, Now + 1_000, RecordKind.Offline));
        _detector.OnWritten(Write(7, Now + 900), WriteOutcome.Created, Now + 5_000);
        Assert.Equal([new(7, TransitionKind.Signout, Now + 1_000), new(7, TransitionKind.Online, Now + 1_000)], Taken());
    }

    [Fact]
    public void OnUnanswered_RefreshOrSignOut_IsNoPossibleStart()
    {
        // SET … XX cannot begin a period, nor can DEL: a retry's answer stays what it says.
        _detector.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        Taken();
        _detector.OnUnanswered(Write(7, Now + 1_000) with { Refresh = true });
        _detector.OnWritten(Write(7, Now + 2_000) with { Refresh = true }, WriteOutcome.Refreshed, Now + 2_000);
        Assert.Empty(Taken());
    }

    [Fact]
    public void OnUnanswered_OlderThanTheTtl_IsForgotten()
    {
        // Even had it landed, that key has lapsed: the possible online is dated by the write that found a key.
        var (detector, log, _) = Scripted();
        detector.OnUnanswered(Write(7, Now));
        detector.Tick(Now + 31_000);
        detector.OnWritten(Write(7, Now + 31_000), WriteOutcome.Refreshed, Now + 31_000);
        Assert.Equal([new(7, TransitionKind.Online, Now + 31_000)], Taken(log));
    }

    [Fact]
    public void OnWritten_Created_WhileTheTrackedKeyHadTimeByItsReceive_StillEndsThatPeriodAtItsExpiry()
    {
        // The heartbeat of Now + 25 s waited in a backlog past the key's expiry at Now + 30 s (no
        // check ran meanwhile: its write was pending), so SET … GET found no key at Now + 31 s.
        _detector.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        _detector.OnWritten(Write(7, Now + 25_000), WriteOutcome.Created, Now + 31_000);
        Assert.Equal(
            [new(7, TransitionKind.Online, Now), new(7, TransitionKind.Timeout, Now + 30_000), new(7, TransitionKind.Online, Now + 30_000)],
            Taken());
        AssertTracked(7, Now + 25_000);

        // A key gone with time left (the store lost it): offline no later than the answer.
        _detector.OnWritten(Write(7, Now + 26_000), WriteOutcome.Created, Now + 32_000);
        Assert.Equal([new(7, TransitionKind.Timeout, Now + 32_000), new(7, TransitionKind.Online, Now + 32_000)], Taken());
    }

    [Fact]
    public void OnWritten_Absent_ForAUserWhoseKeyItWrote_IsThatKeysTimeout()
    {
        // The sign-out came after the key lapsed and before a check said so: without this the
        // user would stay online in the log, as the sign-out deletes nothing and says nothing.
        _detector.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        _detector.OnWritten(Write(7, Now + 40_000, RecordKind.Offline), WriteOutcome.Absent, Now + 40_050);
        Assert.Equal([new(7, TransitionKind.Online, Now), new(7, TransitionKind.Timeout, Now + 30_000)], Taken());
        Assert.False(_detector.Tracker.TryGet(7, out _));

        // A key gone with time left (deleted elsewhere, or the store lost it): offline as of the answer.
        _detector.OnWritten(Write(8, Now), WriteOutcome.Refreshed, Now);
        Taken();
        _detector.OnWritten(Write(8, Now + 1_000, RecordKind.Offline), WriteOutcome.Absent, Now + 1_050);
        Assert.Equal([new(8, TransitionKind.Timeout, Now + 1_050)], Taken());
        Assert.Equal(0, _detector.Tracker.Count);
    }

    [Fact]
    public void Check_KeyGone_TimeoutAtReceivePlusTtl_AndTheUserIsLetGo()
    {
        var (detector, log, script) = Scripted();
        detector.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        Assert.Equal([new(7, TransitionKind.Online, Now)], Taken(log));

        detector.Tick(Now + 29_999); // not due yet
        Assert.Empty(script.Gets);
        detector.Tick(Now + 30_400); // due, seen at the first tick since (a tick can come late)
        Assert.Equal(["presence:7"], script.Gets);
        detector.TakeAnswers();

        Assert.Equal([new(7, TransitionKind.Timeout, Now + 30_000)], Taken(log)); // at receive + ttl, not when it was seen
        Assert.False(detector.Tracker.TryGet(7, out _));
        detector.Tick(Now + 31_000);
        Assert.Single(script.Gets); // let go: never checked again
    }

    [Fact]
    public void Check_SameValue_TheKeyOutlivesItsTime_LookedAtAgainNextTick()
    {
        var (detector, log, script) = Scripted();
        detector.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        Taken(log);
        script.Get = _ => Now; // its write landed a little after its receive: the key expires a little later

        detector.Tick(Now + 30_000);
        detector.TakeAnswers();
        Assert.Empty(Taken(log));
        Assert.True(detector.Tracker.TryGet(7, out long written));
        Assert.Equal(Now, written);

        detector.Tick(Now + 30_010); // the next tick looks again
        Assert.Equal(2, script.Gets.Count);
        script.Get = _ => RedisValue.Null;
        detector.TakeAnswers();
        detector.Tick(Now + 30_020);
        Assert.Equal(3, script.Gets.Count);
        detector.TakeAnswers();
        Assert.Equal([new(7, TransitionKind.Timeout, Now + 30_000)], Taken(log));
    }

    [Fact]
    public void Check_NewerValue_AnotherIngesterWatchesTheUser_LetGoWithoutAnEvent()
    {
        var (detector, log, script) = Scripted();
        detector.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        detector.OnWritten(Write(8, Now), WriteOutcome.Created, Now);
        Taken(log);
        // 7 was written by another ingester within its time (no lapse); 8 only after its key lapsed.
        script.Get = key => key == "presence:7" ? Now + 20_000 : Now + 45_000;

        detector.Tick(Now + 30_000);
        detector.TakeAnswers();

        Assert.Equal(0, detector.Tracker.Count);
        Assert.Equal([new(8, TransitionKind.Timeout, Now + 30_000), new(8, TransitionKind.Online, Now + 45_000)], Taken(log));
        detector.Tick(Now + 100_000);
        Assert.Equal(2, script.Gets.Count); // neither is checked again
    }

    private (TransitionDetector Detector, EventLogAppender Log, ScriptedDatabase Script) Scripted()
    {
        var (database, script) = ScriptedDatabase.Create();
        var log = new EventLogAppender(database, "presence:", TimeSpan.FromHours(1), new IngestClock(), _metrics, NullLogger.Instance);
        return (new TransitionDetector(database, "presence:", 30_000, Now, log, _metrics, NullLogger.Instance), log, script);
    }

    private static List<PresenceTransition> Taken(EventLogAppender log)
    {
        var taken = new List<PresenceTransition>();
        while (log.TryTake(out var transition))
            taken.Add(transition);
        return taken;
    }

    private static PendingWrite Write(ulong user, long receiveMs, RecordKind kind = RecordKind.Heartbeat) => new(user, receiveMs, kind, 30_000);

    private List<PresenceTransition> Taken() => Taken(_log);

    private void AssertTracked(ulong user, long writtenMs)
    {
        Assert.True(_detector.Tracker.TryGet(user, out long actual));
        Assert.Equal(writtenMs, actual);
    }
}
