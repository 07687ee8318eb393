using Presence.Bench.EndToEnd;

namespace Presence.Unit.Tests.Bench;

public sealed class LossCheckTests
{
    [Fact]
    public void Compute_EachUsersLatestHeartbeat_FreshStaleMissingNeverSentAndSlack()
    {
        const long t = 1_764_000_000_000;
        long[] sent = [t, t, t, t, t, 0, t + 500];
        long[] stored =
        [
            t + 3,            // received 3 ms after the send: fresh
            t - 10_000,       // the previous heartbeat, an interval older: its latest was lost
            -1,               // no key at all
            t - 20,           // 20 ms early: within a 25 ms slack (clock rounding), fresh
            t - 26,           // past the slack: stale
            -1,               // never sent: not judged
            t + 500,          // at the very ms of its send: fresh
        ];

        var check = LossCheck.Compute(sent, stored, Enumerable.Repeat(t + 5_000, sent.Length).ToArray(), slackMs: 25, ttlMs: 30_000);

        Assert.Equal(6, check.Users);
        Assert.Equal(1, check.NotSent);
        Assert.Equal(3, check.Fresh);
        Assert.Equal(2, check.Stale);
        Assert.Equal(1, check.Missing);
        Assert.Equal(1, check.WithinSlack);
        Assert.Equal(0, check.LateChecked);
        Assert.Equal(-20, check.OffsetMinMs);
        Assert.Equal(3, check.OffsetMaxMs);
    }

    [Fact]
    public void Compute_CheckedAfterTheTtl_MissingStillCountedButFlaggedLate()
    {
        const long t = 1_764_000_000_000;

        var check = LossCheck.Compute([t, t + 20_000, t], [-1, -1, -1], [t + 29_500, t + 29_500, t + 28_000], slackMs: 25, ttlMs: 30_000);

        Assert.Equal(3, check.Missing);
        Assert.Equal(1, check.LateChecked); // only the first was read 29.5 s (≥ ttl − 1 s) after its last send
    }

    [Fact]
    public void RunResult_LossPerHeartbeatAndOldMetric_SideBySide()
    {
        var drops = new Dictionary<string, long> { ["queue_full"] = 7 };
        var run = new RunResult(SystemKind.Baseline, 40_000, 39_990, Users: 400_000, RecordsSent: 1_200_000, SendErrors: 0,
            Accepted: 1_200_000, Written: 800_000, Stale: 40_000, Missing: 400, WithinSlack: 0, LateChecked: 0, drops,
            new CpuSplit(1, 0.5, 0.3, 0), 100 << 20, double.NaN, double.NaN, 0.3, 12, "");

        Assert.Equal(10.1, run.LossPercent, 6);
        Assert.Equal(0.1, run.LostUsersPercent, 6);
        Assert.False(run.LossFree);
        Assert.True(run.RateReached);
        Assert.Equal(7, run.Drop("queue_full"));
        Assert.Equal(0, run.Drop("kernel"));
    }
}
