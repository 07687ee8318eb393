using Presence.Bench.Faults.Checking;
using Presence.Bench.Faults.History;

namespace Presence.Unit.Tests.Faults;

/// <summary>
/// The fault-schedule checker (bench/Faults/Checking, issue 19): a correct hand-made history passes every
/// rule, and each smallest break of one rule fails that rule and no other (a checker that blames the wrong
/// rule, or that a correct run can fail, is worse than none).
/// </summary>
public sealed class FaultCheckerTests
{
    private static readonly CheckOptions s_options = new();

    [Fact]
    public void Check_ValidHistory_PassesEveryRuleAndCountsWhatItJudged()
    {
        var report = Check(ValidHistory.Build());

        AssertPassed(report);
        Assert.All(report.Rules.Where(r => !RuleNames.Debounce.Contains(r.Name)), r => Assert.True(r.Judged > 0, $"{r.Name} judged nothing"));
        Assert.All(report.Rules.Where(r => RuleNames.Debounce.Contains(r.Name)), r => Assert.True(r.Judged == 0, $"{r.Name} judged a plain stream"));
        Assert.Equal(0, report.Debounced.Sessions);
        Assert.Equal(11, report.Rule(RuleNames.IdsIncrease).Judged);      // 4 snapshots + 7 events
        Assert.Equal(7, report.Rule(RuleNames.Alternation).Judged);
        Assert.Equal(5, report.Rule(RuleNames.NoSilentGap).Judged);
        Assert.Equal(4, report.Rule(RuleNames.SnapshotState).Judged);
        Assert.Equal(1, report.Rule(RuleNames.TimeoutAt).Judged);
        Assert.Equal(7, report.EventsReceived);
        Assert.Equal(new Dictionary<FaultKind, int> { [FaultKind.Kill] = 1, [FaultKind.Term] = 1 }, report.FaultsByKind);
        Assert.True(report.HeartbeatsJudged > 20, $"{report.HeartbeatsJudged} heartbeats judged");
        Assert.True(report.HeartbeatsJudged <= report.HeartbeatsSent);
    }

    [Fact]
    public void Print_ValidHistory_SaysFaultsCountsAndPassed()
    {
        var text = Print(Check(ValidHistory.Build()));

        Assert.Contains("faults injected: 2 (Kill 1, Term 1)", text);
        Assert.Contains("7 events and 4 snapshots in 5 sessions of 3 subscribers", text);
        Assert.Contains("heartbeats judged:", text);
        Assert.All(RuleNames.All, name => Assert.Contains(name, text));
        Assert.EndsWith("PASSED: 0 violations" + Environment.NewLine, text);
    }

    [Fact]
    public void Print_BrokenHistory_SaysTheFirstExampleOfTheRuleAndFailed()
    {
        var history = ValidHistory.Build().WithItem(1, 2, "e1-4", i => i with { At = 12_500 });

        var text = Print(Check(history));

        Assert.Contains("first events-match-log violation: altered: subscriber 1 session 2 on query-2 (Resume from e1-3", text);
        Assert.Contains("e1-4 user 2 online at 12500", text);
        Assert.EndsWith("FAILED: 1 violations" + Environment.NewLine, text);
    }

    // ids-increase

    [Fact]
    public void IdsIncrease_SnapshotGoingBackWithinASession_FailsThatRuleOnly()
    {
        var history = ValidHistory.Build().WithItems(2, 1, items => [.. items, items[0] with { ArrivedMs = 16_500 }]);

        AssertOnlyBroken(Check(history), RuleNames.IdsIncrease, "snapshot e1-3 arrived 16500 does not come after e1-5");
    }

    [Fact]
    public void IdsIncrease_ItemWithoutAnId_FailsThatRule()
    {
        var history = ValidHistory.Build().WithItems(3, 1, items => [items[0] with { EventId = "garbage" }]);

        var report = Check(history);

        Assert.Equal(1, report.Rule(RuleNames.IdsIncrease).Violations);
    }

    // alternation

    [Fact]
    public void Alternation_LogWithTwoOfflinesInARow_FailsThatRuleOnly()
    {
        var history = ValidHistory.Build().WithLine("e1", 4, l => l with { Online = false, Reason = "signout" });

        AssertOnlyBroken(Check(history), RuleNames.Alternation, "offline e1-4 user 2");
    }

    [Fact]
    public void Alternation_AtGoingBack_FailsThatRuleOnly()
    {
        var history = ValidHistory.Build().WithLine("e1", 4, l => l with { At = 9000 });

        AssertOnlyBroken(Check(history), RuleNames.Alternation, "goes back from the previous at 10001");
    }

    // no-silent-gap

    [Fact]
    public void NoSilentGap_ResumeMissingTransitions_FailsThatRuleOnly()
    {
        // Session 1 delivers through e1-2; the resume from e1-2 skips e1-3 and e1-4 and delivers e1-5
        // (which still alternates for the subscriber: a gap no other rule sees).
        var history = ValidHistory.Build()
            .WithItem(1, 1, "e1-3", _ => null)
            .WithSession(1, 2, s => s with { LastEventIdSent = "e1-2" })
            .WithItem(1, 2, "e1-4", _ => null);

        AssertOnlyBroken(Check(history), RuleNames.NoSilentGap, "resumed from e1-2, delivered up to e1-5 but not e1-3 user 2 offline at 10001 (timeout)");
    }

    [Theory]
    [InlineData("Fresh")]
    [InlineData("Garbage")]
    [InlineData("PastEnd")]
    [InlineData("ForeignEpoch")]
    public void NoSilentGap_UnservableSessionStartingWithAnEvent_FailsThatRuleOnly(string resume)
    {
        var kind = Enum.Parse<ResumeKind>(resume);
        var online = Items.ToItem(ValidHistory.Build().Log.Single(l => l.Seq == 1));
        var history = ValidHistory.Build().WithSession(3, 1, s => s with { Resume = kind, LastEventIdSent = "x", Items = [online] });

        AssertOnlyBroken(Check(history), RuleNames.NoSilentGap, $"a {kind} session's first item is online e1-1 user 1");
    }

    [Fact]
    public void NoSilentGap_ResumeAnsweredWithAnotherEpochsEvents_FailsThatRuleOnly()
    {
        var history = ValidHistory.Build().WithSession(1, 2, s => s with { LastEventIdSent = "e0-3" });

        AssertOnlyBroken(Check(history), RuleNames.NoSilentGap, "resumed from e0-3, got online e1-4");
    }

    [Fact]
    public void NoSilentGap_UnservableSessionEndedWithoutItems_Passes()
    {
        var history = ValidHistory.Build().WithSession(2, 2, s => s with { Resume = ResumeKind.PastEnd, LastEventIdSent = "e1-99", Items = [] });

        // Subscriber 2's state carries over from session 1 (user 2 offline), which the store agrees with.
        AssertPassed(Check(history));
    }

    [Fact]
    public void NoSilentGap_HoleBeyondTheLogReadersCoverage_IsNotJudged()
    {
        // The runner's reader read e1 only through seq 2: the hole at e1-3, e1-4 cannot be told from lines never written.
        var history = ValidHistory.Build()
            .WithItem(1, 1, "e1-3", _ => null)
            .WithSession(1, 2, s => s with { LastEventIdSent = "e1-2" })
            .WithItem(1, 2, "e1-4", _ => null);
        history = history with { Log = history.Log.Where(l => l.Seq <= 2).ToList(), Coverage = [new LogCoverage("e1", 2)] };

        var report = Check(history);

        Assert.Equal(0, report.Rule(RuleNames.NoSilentGap).Violations);
    }

    // events-match-log

    [Fact]
    public void EventsMatchLog_EventAlteredInOneStream_FailsThatRuleOnly()
    {
        var history = ValidHistory.Build().WithItem(1, 2, "e1-4", i => i with { At = 12_500 });

        AssertOnlyBroken(Check(history), RuleNames.EventsMatchLog, "but the log has e1-4 user 2 online at 12001");
    }

    // snapshot-state

    [Fact]
    public void SnapshotState_SnapshotWithAnotherPositionsState_FailsThatRuleOnly()
    {
        // Sent as e1-4 (user 2 online there) but holding user 2 offline.
        var history = ValidHistory.Build().WithItem(2, 2, "e1-5", i => i with { EventId = "e1-4" });

        AssertOnlyBroken(Check(history), RuleNames.SnapshotState, "the snapshot e1-4 has user 2 offline, the log has e1-4 user 2 online at 12001");
    }

    [Fact]
    public void SnapshotState_SnapshotLeavingOutAWatchedUser_FailsThatRuleOnly()
    {
        var history = ValidHistory.Build().WithItem(1, 1, "e1-0", i => i with { Users = i.Users!.Where(u => u.User != 1).ToList() });

        AssertOnlyBroken(Check(history), RuleNames.SnapshotState, "the snapshot e1-0 does not list watched user 1");
    }

    // convergence

    [Fact]
    public void Convergence_NodeAnsweringOfflineForAUserWithAKey_FailsThatRuleOnly()
    {
        var history = ValidHistory.Build().WithFinal(f => f with
        {
            Batch = f.Batch.Select(a => a.Node == "query-2" && a.User == 1 ? a with { Online = false } : a).ToList(),
        });

        AssertOnlyBroken(Check(history), RuleNames.Convergence, "query-2 answers user 1 offline");
    }

    [Fact]
    public void Convergence_OpenStreamMissingItsLastEvent_FailsThatRuleOnly()
    {
        var history = ValidHistory.Build().WithItem(1, 2, "e1-5", _ => null);

        AssertOnlyBroken(Check(history), RuleNames.Convergence, "subscriber 1 session 2 on query-2 (Resume from e1-3, connected 11100) (open at the end) holds user 2 online, the store has no key");
    }

    // expiry

    [Fact]
    public void Expiry_KeyOutlivingReceivePlusTtlByMoreThanTheMargin_FailsThatRuleOnly()
    {
        var history = ValidHistory.Build().WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ExpireAtMs = s.ExpireAtMs + 1001 });

        AssertOnlyBroken(Check(history), RuleNames.Expiry, "user 1 sampled at 15000: key of receive 14001 expires at 20002, 1001 ms from receive + ttl (19001)");
    }

    [Fact]
    public void Expiry_KeyWithoutExpiry_FailsThatRuleOnly()
    {
        var history = ValidHistory.Build().WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ExpireAtMs = -1 });

        AssertOnlyBroken(Check(history), RuleNames.Expiry, "has no expiry");
    }

    [Fact]
    public void Expiry_KeyGoneBetweenTheSamplesTwoReads_IsNotJudged()
    {
        var history = ValidHistory.Build().WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ExpireAtMs = -2 });

        AssertPassed(Check(history));
    }

    [Fact]
    public void Expiry_LateKeyInsideAStorePauseWindow_Passes()
    {
        var history = ValidHistory.Builder(b => b.Fault(FaultKind.StorePause, 14_000, 14_500, "redis")).WithSessions().Build()
            .WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ExpireAtMs = s.ExpireAtMs + 1001 });

        AssertPassed(Check(history));
    }

    [Fact]
    public void Expiry_KeyWrittenDuringAPartition_LateByUpToTwiceWhatItHeldAndASecond_Passes()
    {
        // The SET of receive 14001 was held by a partition of 13.5–14.5 s (499 ms of it) and landed at
        // TCP's first retransmission after it, PX counted from then: up to 2 × 499 + 1,000 ms late,
        // plus the grace and the margin (3,098 ms), sampled after the fault's grace.
        var history = ValidHistory.Builder(b => b.Fault(FaultKind.Partition, 13_500, 14_500, "veth")).WithSessions().Build()
            .WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ExpireAtMs = s.ExpireAtMs + 3_000 });

        AssertPassed(HistoryChecker.Check(history, s_options with { FaultGraceMs = 100 }));
    }

    [Fact]
    public void Expiry_KeyLaterThanAPartitionCouldHoldIt_FailsThatRuleOnly()
    {
        var history = ValidHistory.Builder(b => b.Fault(FaultKind.Partition, 13_500, 14_500, "veth")).WithSessions().Build()
            .WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ExpireAtMs = s.ExpireAtMs + 3_200 });

        AssertOnlyBroken(HistoryChecker.Check(history, s_options with { FaultGraceMs = 100 }), RuleNames.Expiry, "user 1 sampled at 15000: key of receive 14001 expires at 22201, 3200 ms");
    }

    [Fact]
    public void Expiry_KeyHeldAcrossTwoStoreFaultsBackToBack_LateByUpToBoth_Passes()
    {
        // The write of receive 14001 was held by a pause (14.05–14.4 s), retried, and held again by the
        // pause that followed within the grace (14.45–14.8 s): 1,700 ms late is more than either
        // fault allows alone (1,450) and within the two as one spell (1,850).
        var history = ValidHistory.Builder(b => b.Fault(FaultKind.StorePause, 14_050, 14_400, "redis").Fault(FaultKind.StorePause, 14_450, 14_800, "redis"))
            .WithSessions().Build()
            .WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ExpireAtMs = s.ExpireAtMs + 1_700 });

        AssertPassed(HistoryChecker.Check(history, s_options with { FaultGraceMs = 100 }));
    }

    [Fact]
    public void Expiry_KeyLateByTwoStoreFaultsFarApart_FailsThatRuleOnly()
    {
        // The same two faults 150 ms apart, more than the grace: each holds a write alone.
        var history = ValidHistory.Builder(b => b.Fault(FaultKind.StorePause, 14_050, 14_400, "redis").Fault(FaultKind.StorePause, 14_550, 14_800, "redis"))
            .WithSessions().Build()
            .WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ExpireAtMs = s.ExpireAtMs + 1_700 });

        AssertOnlyBroken(HistoryChecker.Check(history, s_options with { FaultGraceMs = 100 }), RuleNames.Expiry, "user 1 sampled at 15000: key of receive 14001 expires at 20701, 1700 ms");
    }

    // timeout-at

    [Fact]
    public void TimeoutAt_TimeoutEarlierThanTheLastReceivePlusTtl_FailsThatRuleOnly()
    {
        var history = ValidHistory.Build().WithLine("e1", 3, l => l with { At = 9001 });

        AssertOnlyBroken(Check(history), RuleNames.TimeoutAt, "e1-3 user 2 offline at 9001 (timeout): at − ttl = 4001, but the store held receive 5001 of user 2");
    }

    [Fact]
    public void TimeoutAt_NoHeartbeatNearAtMinusTtl_FailsThatRuleOnly()
    {
        // The heartbeats of 3,000 to 5,000 were never sent: at − ttl = 5,001 is no receive time.
        var history = ValidHistory.Build().WithHeartbeats(h => h.User == 2 && h.SentMs is >= 3000 and <= 5000, h => h with { Dropped = true });

        AssertOnlyBroken(Check(history), RuleNames.TimeoutAt, "at − ttl = 5001 is no receive time: the user's last heartbeat sent by then was 2000");
    }

    [Fact]
    public void TimeoutAt_TimeoutByAnIngestersStartSweep_IsNotJudged()
    {
        // at = when the sweep found the key gone, inside a SIGKILL's window: not a receive + ttl.
        var history = ValidHistory.Builder(b => b.Fault(FaultKind.Kill, 8000, 8500, "ingest-2")).WithSessions().Build()
            .WithLine("e1", 3, l => l with { At = 9001 });

        var report = Check(history);

        Assert.Equal(0, report.Rule(RuleNames.TimeoutAt).Violations);
        Assert.Equal(0, report.Rule(RuleNames.TimeoutAt).Judged);
    }

    // heartbeat-lost

    [Fact]
    public void HeartbeatLost_KeyMissingAfterASteadyHeartbeat_FailsThatRuleOnly()
    {
        var history = ValidHistory.Build().WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ValueMs = null, ExpireAtMs = null });

        AssertOnlyBroken(Check(history), RuleNames.HeartbeatLost, "user 1: heartbeat sent at 12000, but the store had no key at 15000");
    }

    [Fact]
    public void HeartbeatLost_StaleValue_FailsThatRuleOnly()
    {
        var history = ValidHistory.Build().WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ValueMs = 10_001, ExpireAtMs = 15_001 });

        AssertOnlyBroken(Check(history), RuleNames.HeartbeatLost, "user 1: heartbeat sent at 12000, but the store held receive 10001 at 15000");
    }

    [Fact]
    public void HeartbeatLost_ReceiveReadingAMillisecondBeforeTheSend_Passes()
    {
        // presence-ingest's clock truncates twice: a receive may read 1 ms before the sender's send time.
        var history = ValidHistory.Build().WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ValueMs = 11_999, ExpireAtMs = 16_999 });

        AssertPassed(Check(history));
    }

    [Fact]
    public void HeartbeatLost_KeyMissingAcrossASigterm_FailsThatRule()
    {
        // A planned restart excuses nothing.
        var history = ValidHistory.Builder(b => b.Fault(FaultKind.Term, 11_500, 16_000, "ingest-2")).WithSessions().Build()
            .WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ValueMs = null, ExpireAtMs = null });

        AssertOnlyBroken(Check(history), RuleNames.HeartbeatLost, "heartbeat sent at 12000");
    }

    [Fact]
    public void HeartbeatLost_KeyMissingAcrossASigkill_IsExcused()
    {
        var history = ValidHistory.Builder(b => b.Fault(FaultKind.Kill, 11_500, 12_500, "ingest-2")).WithSessions().Build()
            .WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ValueMs = null, ExpireAtMs = null });

        AssertPassed(Check(history));
    }

    [Fact]
    public void HeartbeatLost_KeyMissingWhileAnIngestersKernelCountedDrops_IsNotJudgedAndCounted()
    {
        // ingest-1's kernel dropped datagrams between its reads at 11.5 s and 12.5 s: the heartbeat of 12 s
        // is a counted drop (a full receive buffer), like a datagram the network lost.
        var history = ValidHistory.Build().WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ValueMs = null, ExpireAtMs = null })
            with { Drops = [new DropCount(11_500, "ingest-1", 4, 0), new DropCount(12_500, "ingest-1", 7, 0)] };

        var report = Check(history);

        AssertPassed(report);
        Assert.Equal(1, report.HeartbeatsExcusedByKernelDrops);
        Assert.Equal(7, report.KernelDrops);
    }

    [Fact]
    public void HeartbeatLost_KeyMissing_KernelDropsCountedAtAnotherTime_FailsThatRuleOnly()
    {
        var history = ValidHistory.Build().WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ValueMs = null, ExpireAtMs = null })
            with { Drops = [new DropCount(4_000, "ingest-1", 0, 0), new DropCount(5_000, "ingest-1", 3, 0), new DropCount(12_000, "ingest-1", 3, 0)] };

        var report = Check(history);

        AssertOnlyBroken(report, RuleNames.HeartbeatLost, "user 1: heartbeat sent at 12000, but the store had no key at 15000");
        Assert.Equal(0, report.HeartbeatsExcusedByKernelDrops);
        Assert.Equal(3, report.KernelDrops);
    }

    // Debounced streams (debounce=S): their own rules, and the plain stream rules leave them alone.

    [Fact]
    public void Check_DebouncedHistory_PassesEveryRuleAndCountsWhatItJudged()
    {
        var report = Check(DebouncedHistory.Build());

        AssertPassed(report);
        Assert.All(report.Rules, r => Assert.True(r.Judged > 0, $"{r.Name} judged nothing"));
        // The plain rules judge subscriber 1's plain session only: 1 snapshot and 4 events (its blink e1-3/e1-4 included).
        Assert.Equal(5, report.Rule(RuleNames.IdsIncrease).Judged);
        Assert.Equal(4, report.Rule(RuleNames.Alternation).Judged);
        Assert.Equal(1, report.Rule(RuleNames.NoSilentGap).Judged);
        Assert.Equal(4, report.Rule(RuleNames.EventsMatchLog).Judged);
        Assert.Equal(1, report.Rule(RuleNames.SnapshotState).Judged);
        Assert.Equal(6, report.Rule(RuleNames.Convergence).Judged);        // batch answers only: 2 nodes × 3 users
        // The debounced sessions: 10 events, 4 snapshots.
        Assert.Equal(10, report.Rule(RuleNames.DebounceMatchLog).Judged);
        Assert.Equal(10, report.Rule(RuleNames.DebounceAlternation).Judged);
        Assert.Equal(14, report.Rule(RuleNames.DebounceExact).Judged);
        Assert.Equal(6, report.Rule(RuleNames.DebounceOfflineHeld).Judged); // 5 offlines and subscriber 4's snapshot showing user 2 offline
        Assert.Equal(4, report.Rule(RuleNames.DebounceConvergence).Judged);
        var figures = report.Debounced;
        Assert.Equal((3, 5, 10, 4, 1L), (figures.Subscribers, figures.Sessions, figures.Events, figures.Snapshots, figures.CancelledPairs));
        Assert.Equal([1, 2, 3], figures.Seconds);
    }

    [Fact]
    public void Print_DebouncedHistory_SaysThePlainAndTheDebouncedStreamsApart()
    {
        var text = Print(Check(DebouncedHistory.Build()));

        Assert.Contains("events judged: 4 events and 1 snapshots in 1 sessions of 1 subscribers", text);
        Assert.Contains("debounced streams judged: 10 events and 4 snapshots in 5 sessions of 3 subscribers (debounce 1, 2, 3 s); 1 cancelled pairs left out", text);
        Assert.All(RuleNames.Debounce, name => Assert.Contains(name, text));
        Assert.EndsWith("PASSED: 0 violations" + Environment.NewLine, text);
    }

    [Fact]
    public void Check_PlainHistory_PrintsNoDebouncedStreams()
    {
        Assert.Contains("debounced streams: none", Print(Check(ValidHistory.Build())));
    }

    // debounce-match-log

    [Fact]
    public void DebounceMatchLog_EventWithAnotherAt_FailsThatRuleOnly()
    {
        var history = DebouncedHistory.Build().WithDebouncedEvent(2, 2, "e1-5", i => i with { At = 9400 });

        AssertOnlyBroken(Check(history), RuleNames.DebounceMatchLog, "altered: subscriber 2 session 2 on query-1 (Resume from e1-2-2006-a1-3, connected 8100) received offline e1-5-12501-a1-3 user 2 at 9400 (signout)");
    }

    [Fact]
    public void DebounceMatchLog_EventWithAnotherReason_FailsThatRuleOnly()
    {
        var history = DebouncedHistory.Build().WithDebouncedEvent(3, 1, "e1-5", i => i with { Reason = "timeout" });

        AssertOnlyBroken(Check(history), RuleNames.DebounceMatchLog, "but the log has e1-5 user 2 offline at 9501 (signout)");
    }

    [Fact]
    public void DebounceMatchLog_EventOfALineTheLogReaderCoveredButDoesNotHave_Fails()
    {
        // The reader read e1 through 8 but has no line 5 (of a judged user): the events of e1-5 are no line of the log.
        var history = DebouncedHistory.Build();
        history = history with { Log = history.Log.Where(l => l.Seq != 5).ToList() };

        var report = Check(history);

        Assert.Contains("not a line of the log: subscriber 2 session 2 on query-1", report.Rule(RuleNames.DebounceMatchLog).FirstExample);
        Assert.Equal(2, report.Rule(RuleNames.DebounceMatchLog).Violations);
    }

    // debounce-alternation

    [Fact]
    public void DebounceAlternation_AtGoingBack_FailsThatRuleOnly()
    {
        // The log (and every debounced stream of it) dates the sign-out e1-5 before user 2's online e1-2.
        var history = DebouncedHistory.Build().WithDebouncedLine("e1", 5, l => l with { At = 1500 });

        AssertOnlyBroken(Check(history), RuleNames.DebounceAlternation, "offline e1-5-12501-a1-3 user 2 at 1500 (signout) arrived 12506 goes back from the previous at 2001");
    }

    [Fact]
    public void DebounceAlternation_TwoOfflinesInARow_FailsThatRule()
    {
        // Subscriber 4 gets offline e1-8 twice (the second with the id of a later key): exactness fails as well.
        var history = DebouncedHistory.Build().WithItems(4, 1, items => [.. items, items[^1] with { EventId = "e1-8-21002-a1-1", ArrivedMs = 21_007 }]);

        var report = Check(history);

        Assert.Contains("offline e1-8-21002-a1-1 user 2 at 20001 (timeout) arrived 21007 while the stream already had user 2 offline", report.Rule(RuleNames.DebounceAlternation).FirstExample);
    }

    // debounce-exact

    [Fact]
    public void DebounceExact_PairLeftOutThatNoNodeCouldCancel_FailsThatRuleOnly()
    {
        // Subscriber 3 never gets e1-5 and e1-7: 14001 is 4,500 ms after 9501, no debounce of 2 s cancels them.
        var history = DebouncedHistory.Build()
            .WithDebouncedEvent(3, 1, "e1-5", _ => null)
            .WithDebouncedEvent(3, 1, "e1-7", _ => null);

        AssertOnlyBroken(Check(history), RuleNames.DebounceExact,
            "offline e1-8-22001-b2-2 user 2 at 20001 (timeout) arrived 22006 after e1-4, but not e1-5 user 2 offline at 9501 (signout): a pair left out whose online e1-7 user 2 online at 14001 came 4500 ms after it, not within 2000 ms");
    }

    [Theory]
    [InlineData(1, false)] // the blink e1-3/e1-4 is exactly 1,000 ms: due at 7501, its online read at 7506, after: both are sent
    [InlineData(2, true)]  // due at 8501: cancelled
    public void DebounceExact_BlinkOfExactlyS_IsNotCancellable(int seconds, bool valid)
    {
        // Subscriber 5 watches user 2 from a snapshot at e1-2 and (wrongly, with S = 1) never gets e1-3 and e1-4.
        var history = DebouncedHistory.Builder(b => b.Subscriber(5, 2)).WithDebouncedSessions()
            .DebouncedSession(5, seconds, "query-2", 3000, null, ResumeKind.Fresh, null,
                DebouncedItems.Snapshot("e1", 2, seconds, "b2", 3000), DebouncedItems.Events("e1", seconds, "b2", 2006, 2))
            .Build();
        if (!valid)
        {
            history = history.WithDebouncedEvent(5, 1, "e1-3", _ => null).WithDebouncedEvent(5, 1, "e1-4", _ => null);
        }

        var report = Check(history);

        if (valid)
            AssertPassed(report);
        else
            AssertOnlyBroken(report, RuleNames.DebounceExact, "a pair left out whose online e1-4 user 2 online at 7501 came 1000 ms after it, not within 1000 ms");
    }

    [Theory]
    [InlineData("Fresh")]
    [InlineData("Garbage")]
    [InlineData("PastEnd")]
    [InlineData("ForeignEpoch")]
    public void DebounceExact_UnservableSessionStartingWithAnEvent_FailsThatRuleOnly(string resume)
    {
        var kind = Enum.Parse<ResumeKind>(resume);
        var history = DebouncedHistory.Build().WithSession(3, 1, s => s with { Resume = kind, LastEventIdSent = "x", Items = s.Items.Skip(1).ToList() });

        AssertOnlyBroken(Check(history), RuleNames.DebounceExact, $"a {kind} session's first item is offline e1-5-11501-b2-2 user 2");
    }

    [Fact]
    public void DebounceExact_ResumeOfAnotherNodesIdWithoutASnapshot_FailsThatRuleOnly()
    {
        // query-2 (process b2) serves subscriber 2's resume from an id of query-1's process a1 instead of a snapshot.
        var history = DebouncedHistory.Build().WithItems(2, 3, items => items.Skip(1));

        AssertOnlyBroken(Check(history), RuleNames.DebounceExact, "offline e1-8-23001-b2-3 user 2 at 20001 (timeout) arrived 23006 is of node process b2, the session's resumed id of a1");
    }

    [Fact]
    public void DebounceExact_GapAcrossAResumeOnTheSameNode_FailsThatRuleOnly()
    {
        // Subscriber 2's second session gets nothing; its third resumes on the same process from the first's last id
        // and gets e1-8: the cancelled e1-3/e1-4 may be left out, e1-5/e1-7 may not.
        var history = DebouncedHistory.Build()
            .WithItems(2, 2, _ => [])
            .WithSession(2, 3, s => s with
            {
                Node = "query-1",
                LastEventIdSent = "e1-2-2006-a1-3",
                Items = [s.Items[^1] with { EventId = "e1-8-23001-a1-3" }],
            });

        AssertOnlyBroken(Check(history), RuleNames.DebounceExact, "after e1-2, but not e1-5 user 2 offline at 9501 (signout): a pair left out whose online e1-7 user 2 online at 14001 came 4500 ms after it");
    }

    [Fact]
    public void DebounceExact_EventOfAnotherEpochWithoutASnapshot_FailsThatRuleOnly()
    {
        var history = DebouncedHistory.Build().WithDebouncedEvent(2, 2, "e1-5", i => i with { EventId = "e0-5-12501-a1-3" });

        AssertOnlyBroken(Check(history), RuleNames.DebounceExact, "offline e0-5-12501-a1-3 user 2 at 9501 (signout) arrived 12506 of another epoch than user 2's position e1-2, without a snapshot");
    }

    [Fact]
    public void DebounceExact_SnapshotLeavingOutAWatchedUser_FailsThatRuleOnly()
    {
        var history = DebouncedHistory.Build().WithItems(4, 1, items => [items[0] with { Users = [] }, .. items.Skip(1)]);

        AssertOnlyBroken(Check(history), RuleNames.DebounceExact, "the snapshot e1-6-12006-a1-1 does not list watched user 2");
    }

    [Fact]
    public void DebounceExact_SnapshotShowingOfflineAUserTheLogHasOnline_FailsThatRule()
    {
        var history = DebouncedHistory.Build().WithItems(2, 3, items =>
            [items[0] with { Users = items[0].Users!.Select(u => u with { Online = u.User != 2 }).ToList() }, .. items.Skip(1)]);

        var report = Check(history);

        Assert.Contains("the snapshot e1-7-14006-b2-3 has user 2 offline, the log has e1-7 user 2 online at 14001", report.Rule(RuleNames.DebounceExact).FirstExample);
    }

    [Fact]
    public void DebounceExact_HeldOfflineAfterASnapshotBeyondTheLogReadersCoverage_IsNotJudged()
    {
        // The runner's reader read e1 only through seq 4: subscriber 3's snapshot at e1-5 shows user 2 online and then
        // receives the offline e1-5 it held. Without the log through e1-5 the checker cannot tell that hold from an
        // event sent again, so the user's next event starts it (found as false positives in run 13, FAULTS.md).
        var history = DebouncedHistory.Build();
        history = history with { Log = history.Log.Where(l => l.Seq <= 4).ToList(), Coverage = [new LogCoverage("e1", 4)] };

        var report = Check(history);

        Assert.Equal(0, report.Rule(RuleNames.DebounceExact).Violations);
        Assert.Equal(14, report.Rule(RuleNames.DebounceExact).Judged);
    }

    [Fact]
    public void DebounceExact_PlainIdsOnADebouncedStream_FailsThatRuleOnly()
    {
        var history = DebouncedHistory.Build().WithItems(4, 1, items => items.Select(i => i with { EventId = string.Join('-', i.EventId!.Split('-').Take(2)) }));

        AssertOnlyBroken(Check(history), RuleNames.DebounceExact, "snapshot e1-6 arrived 12500 has no debounced id of 1 s");
    }

    // debounce-offline-held

    [Theory]
    [InlineData(11_496, true)]  // at + S = 11501: 5 ms early, the clocks' granularity
    [InlineData(11_495, false)]
    public void DebounceOfflineHeld_OfflineArrivingBeforeAtPlusS_FailsThatRuleOnly(long arrivedMs, bool valid)
    {
        var history = DebouncedHistory.Build().WithDebouncedEvent(3, 1, "e1-5", i => i with { ArrivedMs = arrivedMs });

        var report = Check(history);

        if (valid)
            AssertPassed(report);
        else
            AssertOnlyBroken(report, RuleNames.DebounceOfflineHeld, "offline e1-5-11501-b2-2 user 2 at 9501 (signout) arrived 11495, 6 ms before at + 2 s (11501)");
    }

    [Fact]
    public void DebounceOfflineHeld_SnapshotShowingAnOfflineBeforeAtPlusS_FailsThatRuleOnly()
    {
        // Subscriber 3's snapshot (arrived 10,000) shows user 2 offline though its sign-out e1-5 (9501) is held until 11,501.
        var history = DebouncedHistory.Build()
            .WithItems(3, 1, items => [items[0] with { Users = [new SnapshotUser(2, false, null)] }, .. items.Skip(1)])
            .WithDebouncedEvent(3, 1, "e1-5", _ => null);

        AssertOnlyBroken(Check(history), RuleNames.DebounceOfflineHeld, "the snapshot e1-5-9506-b2-2 arrived 10000 with user 2 offline, 1501 ms before its e1-5 user 2 offline at 9501 (signout) + 2 s");
    }

    // debounce-convergence

    [Fact]
    public void DebounceConvergence_OpenStreamStillHoldingAnOffline_FailsThatRuleOnly()
    {
        var history = DebouncedHistory.Build().WithDebouncedEvent(3, 1, "e1-8", _ => null);

        AssertOnlyBroken(Check(history), RuleNames.DebounceConvergence, "subscriber 3 session 1 on query-2 (Fresh, connected 10000) (open at the end) holds user 2 online, the store has no key");
    }

    [Fact]
    public void Convergence_PlainRuleLeavesDebouncedStreamsAlone_AndTheOtherWayRound()
    {
        // Subscriber 1's plain session, open at the end, stopped at e1-4 (user 2 online): convergence's, not debounce-convergence's.
        var plainWrong = Check(DebouncedHistory.Build().WithSession(1, 1, s => s with { EndedMs = null, EndReason = null }));
        // Subscriber 3's debounced one missing its last offline: debounce-convergence's, not convergence's.
        var debouncedWrong = Check(DebouncedHistory.Build().WithDebouncedEvent(3, 1, "e1-8", _ => null));

        Assert.Equal(0, plainWrong.Rule(RuleNames.DebounceConvergence).Violations);
        Assert.Contains("subscriber 1 session 1 on query-1 (Fresh, connected 1000) (open at the end) holds user 2 online, the store has no key", plainWrong.Rule(RuleNames.Convergence).FirstExample ?? "");
        Assert.Equal(0, debouncedWrong.Rule(RuleNames.Convergence).Violations);
        Assert.Equal(1, debouncedWrong.Rule(RuleNames.DebounceConvergence).Violations);
    }

    // Edge cases a correct system produces, which must pass.

    [Fact]
    public void Check_ResumeWithExactContinuation_Passes()
    {
        var history = ValidHistory.Builder()
            .Session(1, "query-1", 1000, 3000, ResumeKind.Fresh, null, Items.Snapshot("e1", 0, 1000), Items.Events("e1", 0, 2))
            .Session(1, "query-2", 3100, 11_000, ResumeKind.Resume, "e1-2", Items.Events("e1", 2, 3))
            .Session(1, "query-1", 11_100, null, ResumeKind.Resume, "e1-3", Items.Events("e1", 3))
            .Build();

        var report = Check(history);

        AssertPassed(report);
        Assert.Equal(3, report.Rule(RuleNames.NoSilentGap).Judged);
    }

    [Fact]
    public void Check_ResumeAnsweredWithASnapshotFirst_Passes()
    {
        var history = ValidHistory.Builder()
            .Session(1, "query-1", 1000, 11_000, ResumeKind.Fresh, null, Items.Snapshot("e1", 0, 1000), Items.Events("e1", 0, 3))
            .Session(1, "query-2", 12_100, null, ResumeKind.Resume, "e1-3", Items.Snapshot("e1", 4, 12_100), Items.Events("e1", 4))
            .Build();

        AssertPassed(Check(history));
    }

    [Fact]
    public void Check_StoreRestartedEmptyWithASnapshotOfTheNewEpochInline_Passes()
    {
        // The store loses everything at 17,000 (back at 18,000): user 1's key is gone, its next heartbeat
        // starts e2; every open stream gets a snapshot of e2 inline. The heartbeats before the wipe are excused.
        var history = ValidHistory.Builder(b => b.Fault(FaultKind.StoreRestartEmpty, 17_000, 18_000, "redis"))
            .Session(1, "query-1", 1000, 11_000, ResumeKind.Fresh, null, Items.Snapshot("e1", 0, 1000), Items.Events("e1", 0, 3))
            .Session(1, "query-2", 11_100, null, ResumeKind.Resume, "e1-3", Items.Events("e1", 3), Items.Snapshot("e2", 0, 17_500), Items.Events("e2", 0))
            .Session(2, "query-2", 18_000, null, ResumeKind.ForeignEpoch, "e1-5", Items.Snapshot("e2", 0, 18_000))
            .Session(3, "query-2", 2000, null, ResumeKind.Fresh, null, Items.Snapshot("e1", 1, 2000), Items.Snapshot("e2", 0, 17_500), Items.Events("e2", 0))
            .Build();

        var report = Check(history);

        AssertPassed(report);
        Assert.Contains(history.Log, l => l is { Epoch: "e2", Seq: 1, User: 1, Online: true, At: 18_001 });
        Assert.True(report.Rule(RuleNames.HeartbeatLost).Judged > 0);
    }

    [Fact]
    public void Check_SignOutThenHeartbeatsAgain_PassesAndJudgesTheNewHeartbeats()
    {
        var builder = ValidHistory.Builder(b => b.Heartbeats(user: 2, fromMs: 20_000, toMs: 26_000))
            .Session(1, "query-1", 1000, 11_000, ResumeKind.Fresh, null, Items.Snapshot("e1", 0, 1000), Items.Events("e1", 0, 3))
            .Session(1, "query-2", 11_100, null, ResumeKind.Resume, "e1-3", Items.Events("e1", 3))
            .Session(2, "query-2", 18_000, null, ResumeKind.Garbage, "x", Items.Snapshot("e1", 5, 18_000), Items.Events("e1", 5));
        var history = builder.Build();
        var withoutComeback = ValidHistory.Build();

        var report = Check(history);

        AssertPassed(report);
        Assert.Contains(history.Log, l => l is { Seq: 6, User: 2, Online: true, At: 20_001 });
        Assert.True(report.HeartbeatsJudged > Check(withoutComeback).HeartbeatsJudged);
    }

    [Fact]
    public void HeartbeatLost_KeyWipedByAStoreRestartLongBeforeItsTtl_IsExcused()
    {
        // ttl 20 s: user 1's last heartbeat (4,000, before the fault's window) would keep its key until 24,001,
        // but the store restarted empty at 8,000; samples after the fault's grace (from 12,500) find no key,
        // and must not be judged lost.
        var history = new HistoryBuilder { TtlMs = 20_000 }
            .Heartbeats(user: 1, fromMs: 1000, toMs: 4000)
            .Fault(FaultKind.StoreRestartEmpty, 8000, 9000, "redis")
            .Build();

        Assert.Contains(history.Samples, s => s is { User: 1, AtMs: 20_000, ValueMs: null });
        AssertPassed(Check(history));
    }

    [Fact]
    public void HeartbeatLost_SignOutSentWhileTheSampleWasBeingRead_IsExcused()
    {
        // The sample of 15,000 is read a little later; user 1 signed out at 15,100 in between.
        var history = ValidHistory.Build()
            .WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ValueMs = null, ExpireAtMs = null });
        history = history with { Heartbeats = [.. history.Heartbeats, new HeartbeatSent(1, 15_100, HeartbeatKind.SignOut, Dropped: false)] };

        var report = Check(history);

        Assert.Equal(0, report.Rule(RuleNames.HeartbeatLost).Violations);
    }

    [Theory]
    [InlineData(15_010, true)]  // the pause began 10 ms after the sample was sent: the store ran the read after it
    [InlineData(16_500, false)] // 1.5 s after: past SampleSlackMs, the read had run before it
    public void HeartbeatLost_KeyMissingInASampleSentJustBeforeAStorePause_IsExcused(long pauseStartMs, bool excused)
    {
        var history = ValidHistory.Builder(b => b.Fault(FaultKind.StorePause, pauseStartMs, pauseStartMs + 2000, "redis")).WithSessions().Build()
            .WithSamples(IsSample(user: 1, atMs: 15_000), s => s with { ValueMs = null, ExpireAtMs = null });

        var report = Check(history);

        if (excused)
            Assert.Equal(0, report.Rule(RuleNames.HeartbeatLost).Violations);
        else
            Assert.Contains("user 1: heartbeat sent at 12000, but the store had no key at 15000", Print(report));
    }

    [Fact]
    public void HeartbeatLost_SilentUsersKeyGoneAfterItsTtl_Passes()
    {
        // User 2 is silent from 5,000: samples until 10,000 must show its key, later ones need not.
        var history = ValidHistory.Build();

        Assert.Contains(history.Samples, s => s is { User: 2, AtMs: 10_500, ValueMs: null });
        AssertPassed(Check(history));
    }

    private static CheckReport Check(RunHistory history) => HistoryChecker.Check(history, s_options);

    private static string Print(CheckReport report)
    {
        using var writer = new StringWriter();
        report.Print(writer);
        return writer.ToString();
    }

    private static Func<StoreSample, bool> IsSample(ulong user, long atMs) => s => s.User == user && s.AtMs == atMs;

    private static void AssertPassed(CheckReport report) => Assert.True(report.Passed, Print(report));

    private static void AssertOnlyBroken(CheckReport report, string rule, string example)
    {
        var text = Print(report);
        Assert.True(report.Rule(rule).Violations > 0, $"{rule} was not broken:\n{text}");
        Assert.All(report.Rules.Where(r => r.Name != rule), r => Assert.True(r.Passed, $"{r.Name} broken too:\n{text}"));
        Assert.Contains(example, report.Rule(rule).FirstExample);
    }
}
