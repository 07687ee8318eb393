using Presence.Core.Events;
using Presence.Ingest.Internal.Flush;
using Presence.Ingest.Internal.Transitions;

namespace Presence.Unit.Tests.Ingest;

/// <summary>
/// How a write's answer maps to the expiry tracker and the transitions seen
/// (<see cref="TransitionClassifier"/>): pure rules, so no store of any kind is here, real or fake.
/// </summary>
public sealed class TransitionClassifierTests
{
    private const long Now = 1_750_000_000_000;

    private readonly RecordedTransitions _sink = new();
    private readonly ExpiryTracker _tracker = new(Now);
    private readonly TransitionClassifier _classifier;

    public TransitionClassifierTests()
    {
        _classifier = new TransitionClassifier(_tracker, 30_000, _sink);
    }

    [Fact]
    public void OnWritten_Created_QueuesOnlineAndTracks()
    {
        _classifier.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        AssertTracked(7, Now);
        Assert.Equal(1, _sink.Queued);
        Assert.Equal(1, _sink.Counted(TransitionKind.Online));
    }

    [Fact]
    public void OnWritten_Refreshed_TracksTheNewerTimeWithoutAnEvent()
    {
        _classifier.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        _classifier.OnWritten(Write(7, Now + 5_000), WriteOutcome.Refreshed, Now);
        AssertTracked(7, Now + 5_000);
        Assert.Equal(1, _sink.Queued);
        _classifier.OnWritten(Write(8, Now) with { Refresh = true }, WriteOutcome.Refreshed, Now); // a refresh never begins a period
        AssertTracked(8, Now);
        Assert.Equal(1, _sink.Queued);
        Assert.Equal(2, _tracker.Count);
    }

    [Fact]
    public void OnWritten_SetGetFindsAKeyOfAUserNotKnownOnline_QueuesAPossibleOnlineNotCounted()
    {
        // Written by another ingester, or by one killed before it appended the online line: the log
        // may hold 9 offline while its key exists. The log drops the line if it has 9 online.
        _classifier.OnWritten(Write(9, Now), WriteOutcome.Refreshed, Now + 100);
        Assert.Equal([new(9, TransitionKind.Online, Now, Possible: true)], Taken());
        Assert.Equal(0, _sink.Counted(TransitionKind.Online)); // the log decides whether it is one
        AssertTracked(9, Now);

        // Known online since: a SET … GET finding its key (less than 2 s left at issue) is a refresh.
        _classifier.OnWritten(Write(9, Now + 29_000), WriteOutcome.Refreshed, Now + 29_100);
        Assert.Empty(Taken());
    }

    [Fact]
    public void OnWritten_Deleted_QueuesSignoutAndUntracks()
    {
        _classifier.OnWritten(Write(7, Now), WriteOutcome.Refreshed, Now);
        Taken(); // the possible online of a user first met (OnWritten_SetGetFindsAKey…)
        _classifier.OnWritten(Write(7, Now + 1_000, RecordKind.Offline), WriteOutcome.Deleted, Now);
        Assert.False(_tracker.TryGet(7, out _));
        Assert.Equal(1, _sink.Queued);
        Assert.Equal(1, _sink.Counted(TransitionKind.Signout));
        Assert.Equal(0, _sink.Counted(TransitionKind.Online));
    }

    [Fact]
    public void OnWritten_Absent_ForAUserNotTracked_NoEvent()
    {
        _classifier.OnWritten(Write(9, Now, RecordKind.Offline), WriteOutcome.Absent, Now); // never tracked: already offline
        Assert.Equal(0, _tracker.Count);
        Assert.Equal(0, _sink.Queued);
        Assert.Equal(0, _sink.Counted(TransitionKind.Signout));
    }

    [Fact]
    public void OnWritten_Failed_ChangesNothing()
    {
        _classifier.OnWritten(Write(7, Now), WriteOutcome.Failed, Now);
        Assert.Equal(0, _tracker.Count);
        Assert.Equal(0, _sink.Queued);
    }

    [Fact]
    public void OnWritten_Missing_QueuesTimeoutAtTheExpiryAndUntracks()
    {
        _classifier.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        // The refresh of a heartbeat received at Now + 29 s arrived after the key lapsed at Now + 30 s.
        _classifier.OnWritten(Write(7, Now + 29_000) with { Refresh = true }, WriteOutcome.Missing, Now + 31_000);
        Assert.False(_tracker.TryGet(7, out _));
        Assert.Equal(2, _sink.Queued);
        Assert.Equal(1, _sink.Counted(TransitionKind.Timeout));
        // The flusher writes it again with SET … GET, which finds no key: a new online period.
        _classifier.OnWritten(Write(7, Now + 29_000), WriteOutcome.Created, Now + 31_100);
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
        _classifier.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        _classifier.OnWritten(Write(7, Now + 10_000) with { Refresh = true }, WriteOutcome.Missing, Now + 10_050);
        Assert.Equal([new(7, TransitionKind.Online, Now), new(7, TransitionKind.Timeout, Now + 10_050)], Taken());
        _classifier.OnWritten(Write(8, Now) with { Refresh = true }, WriteOutcome.Missing, Now + 50); // not tracked: already said
        Assert.Equal(1, _sink.Counted(TransitionKind.Timeout));
    }

    [Fact]
    public void OnWritten_Created_AfterTheTrackedKeyLapsed_QueuesItsTimeoutFirst()
    {
        _classifier.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        // Back 40 s later; the write answered before the expiry check looked.
        _classifier.OnWritten(Write(7, Now + 40_000), WriteOutcome.Created, Now + 40_100);
        Assert.Equal(3, _sink.Queued);
        Assert.Equal(1, _sink.Counted(TransitionKind.Timeout));
        Assert.Equal(2, _sink.Counted(TransitionKind.Online));
        Assert.Equal(
            [new(7, TransitionKind.Online, Now), new(7, TransitionKind.Timeout, Now + 30_000), new(7, TransitionKind.Online, Now + 40_000)],
            Taken());
        AssertTracked(7, Now + 40_000);
        // A retried write whose first answer was lost found its own value: no proof of a lapse.
        _classifier.OnWritten(Write(7, Now + 50_000), WriteOutcome.Landed, Now + 50_100);
        Assert.Equal(1, _sink.Counted(TransitionKind.Timeout));
        Assert.Equal([new(7, TransitionKind.Online, Now + 50_000)], Taken()); // dropped by the log, which has 7 online
    }

    [Fact]
    public void OnWritten_RefreshedAfterAnUnansweredSetGet_PossibleOnlineDatedFromTheFirstAttempt()
    {
        // SET … GET of Now went unanswered (it landed: the store restarted after applying it); the
        // retry carries a newer heartbeat (Now + 1 s) and finds the key the first attempt wrote.
        _classifier.OnUnanswered(Write(7, Now));
        _classifier.OnUnanswered(Write(7, Now + 500));
        _classifier.OnWritten(Write(7, Now + 1_000), WriteOutcome.Refreshed, Now + 2_000);
        Assert.Equal([new(7, TransitionKind.Online, Now, Possible: true)], Taken());
        AssertTracked(7, Now + 1_000);
    }

    [Fact]
    public void OnWritten_RefreshedAfterAnUnansweredSetGet_OfAUserItKnowsOnline_PossibleOnline()
    {
        // The quick fault run, seed 7: the store restarted empty (keys and log gone) while this ingester
        // still knew user 7 online; its SET … GET went unanswered in a partition and landed, creating the
        // key; the retry found it. Known or not, that attempt may have begun a period the log never saw.
        _classifier.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        Taken();
        _classifier.OnUnanswered(Write(7, Now + 5_000));
        _classifier.OnWritten(Write(7, Now + 6_000), WriteOutcome.Refreshed, Now + 7_000);
        Assert.Equal([new(7, TransitionKind.Online, Now + 5_000, Possible: true)], Taken());
        AssertTracked(7, Now + 6_000);
    }

    [Fact]
    public void OnWritten_AbsentAfterAnUnansweredSignOut_IsThatSignOut()
    {
        // The DEL of Now + 1 s went unanswered (the store was paused) and ran when it resumed: its
        // retry finds no key. Without this the sign-out was never logged: 7 stayed online in the log.
        _classifier.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        Taken();
        _classifier.OnUnanswered(Write(7, Now + 1_000, RecordKind.Offline));
        _classifier.OnWritten(Write(7, Now + 1_000, RecordKind.Offline), WriteOutcome.Absent, Now + 5_000);
        Assert.Equal([new(7, TransitionKind.Signout, Now + 1_000)], Taken());
        Assert.False(_tracker.TryGet(7, out _));
    }

    [Fact]
    public void OnWritten_CreatedAfterAnUnansweredSignOut_LogsTheSignOutThenTheOnline()
    {
        // The unanswered DEL landed; the user's next heartbeat (a newer state replaced the DEL in the
        // pending set) finds no key: the sign-out, then the new period, no earlier than it.
        _classifier.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        Taken();
        _classifier.OnUnanswered(Write(7, Now + 1_000, RecordKind.Offline));
        _classifier.OnWritten(Write(7, Now + 900), WriteOutcome.Created, Now + 5_000);
        Assert.Equal([new(7, TransitionKind.Signout, Now + 1_000), new(7, TransitionKind.Online, Now + 1_000)], Taken());
    }

    [Fact]
    public void OnUnanswered_RefreshOrSignOut_IsNoPossibleStart()
    {
        // SET … XX cannot begin a period, nor can DEL: a retry's answer stays what it says.
        _classifier.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        Taken();
        _classifier.OnUnanswered(Write(7, Now + 1_000) with { Refresh = true });
        _classifier.OnWritten(Write(7, Now + 2_000) with { Refresh = true }, WriteOutcome.Refreshed, Now + 2_000);
        Assert.Empty(Taken());
    }

    [Fact]
    public void OnUnanswered_OlderThanTheTtl_IsForgotten()
    {
        // Even had it landed, that key has lapsed: the possible online is dated by the write that found a key.
        _classifier.OnUnanswered(Write(7, Now));
        _classifier.Forget(Now + 31_000);
        _classifier.OnWritten(Write(7, Now + 31_000), WriteOutcome.Refreshed, Now + 31_000);
        Assert.Equal([new(7, TransitionKind.Online, Now + 31_000, Possible: true)], Taken());
    }

    [Fact]
    public void OnWritten_Created_WhileTheTrackedKeyHadTimeByItsReceive_StillEndsThatPeriodAtItsExpiry()
    {
        // The heartbeat of Now + 25 s waited in a backlog past the key's expiry at Now + 30 s (no
        // check ran meanwhile: its write was pending), so SET … GET found no key at Now + 31 s.
        _classifier.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        _classifier.OnWritten(Write(7, Now + 25_000), WriteOutcome.Created, Now + 31_000);
        Assert.Equal(
            [new(7, TransitionKind.Online, Now), new(7, TransitionKind.Timeout, Now + 30_000), new(7, TransitionKind.Online, Now + 30_000)],
            Taken());
        AssertTracked(7, Now + 25_000);

        // A key gone with time left (the store lost it): offline no later than the answer.
        _classifier.OnWritten(Write(7, Now + 26_000), WriteOutcome.Created, Now + 32_000);
        Assert.Equal([new(7, TransitionKind.Timeout, Now + 32_000), new(7, TransitionKind.Online, Now + 32_000)], Taken());
    }

    [Fact]
    public void OnWritten_SignOutReceivedBeforeTheOnlineItEndsWasDated_IsDatedAtThatOnline()
    {
        // The heartbeat of Now + 25 s began a period dated Now + 30 s (the old key's expiry: its write came after), and the
        // sign-out was received at Now + 28 s, before that write's answer. The log drops a sign-out dated before the start
        // of the period it has (one that ends an earlier period, which the user came back from), so it is dated at the start.
        _classifier.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        _classifier.OnWritten(Write(7, Now + 25_000), WriteOutcome.Created, Now + 31_000);
        Taken();
        _classifier.OnWritten(Write(7, Now + 28_000, RecordKind.Offline), WriteOutcome.Deleted, Now + 31_100);
        Assert.Equal([new(7, TransitionKind.Signout, Now + 30_000)], Taken());

        // Once that period ended, the next one's sign-out keeps its own time.
        _classifier.OnWritten(Write(7, Now + 29_000), WriteOutcome.Created, Now + 31_200);
        _classifier.OnWritten(Write(7, Now + 29_500, RecordKind.Offline), WriteOutcome.Deleted, Now + 31_300);
        Assert.Equal([new(7, TransitionKind.Online, Now + 29_000), new(7, TransitionKind.Signout, Now + 29_500)], Taken());
    }

    [Fact]
    public void OnWritten_Absent_ForAUserWhoseKeyItWrote_IsThatKeysTimeout()
    {
        // The sign-out came after the key lapsed and before a check said so: without this the
        // user would stay online in the log, as the sign-out deletes nothing and says nothing.
        _classifier.OnWritten(Write(7, Now), WriteOutcome.Created, Now);
        _classifier.OnWritten(Write(7, Now + 40_000, RecordKind.Offline), WriteOutcome.Absent, Now + 40_050);
        Assert.Equal([new(7, TransitionKind.Online, Now), new(7, TransitionKind.Timeout, Now + 30_000)], Taken());
        Assert.False(_tracker.TryGet(7, out _));

        // A key gone with time left (deleted elsewhere, or the store lost it): offline as of the answer.
        _classifier.OnWritten(Write(8, Now), WriteOutcome.Refreshed, Now);
        Taken();
        _classifier.OnWritten(Write(8, Now + 1_000, RecordKind.Offline), WriteOutcome.Absent, Now + 1_050);
        Assert.Equal([new(8, TransitionKind.Timeout, Now + 1_050)], Taken());
        Assert.Equal(0, _tracker.Count);
    }

    private static PendingWrite Write(ulong user, long receiveMs, RecordKind kind = RecordKind.Heartbeat) => new(user, receiveMs, kind, 30_000);

    private List<PresenceTransition> Taken() => _sink.Take();

    private void AssertTracked(ulong user, long writtenMs)
    {
        Assert.True(_tracker.TryGet(user, out long actual));
        Assert.Equal(writtenMs, actual);
    }
}
