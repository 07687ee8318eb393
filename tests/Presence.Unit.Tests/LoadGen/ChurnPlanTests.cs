using Presence.LoadGen.Internal;

namespace Presence.Unit.Tests.LoadGen;

/// <summary>The churn rules: who churns, who signs out, when each is active, what each slot sends.</summary>
public sealed class ChurnPlanTests
{
    [Theory]
    [InlineData(1_000, 0.01, 10)]
    [InlineData(1_000_000, 0.01, 10_000)]
    [InlineData(997, 0.013, 13)]
    [InlineData(10, 1, 10)]
    [InlineData(10, 0, 0)]
    public void IsChurning_ExactlyTheShare_SpreadEvenlyWithConsecutiveOrdinals(int users, double share, int expected)
    {
        var plan = new ChurnPlan(users, share, 45, 45, 0.5);
        var churning = Enumerable.Range(0, users).Where(i => plan.IsChurning(i, out _)).ToArray();

        Assert.Equal(expected, plan.Churning);
        Assert.Equal(expected, churning.Length);
        for (int j = 0; j < churning.Length; j++)
        {
            Assert.True(plan.IsChurning(churning[j], out int ordinal));
            Assert.Equal(j, ordinal);
        }
        // Evenly spread: no gap between churning users is longer than users / churning, rounded up.
        if (expected > 1)
        {
            int most = (users + expected - 1) / expected;
            Assert.All(churning.Zip(churning.Skip(1)), pair => Assert.InRange(pair.Second - pair.First, 1, most));
        }
    }

    [Fact]
    public void IsChurning_OnePercent_IsEveryHundredthId()
    {
        var plan = new ChurnPlan(1_000_000, 0.01, 45, 45, 0.5);
        // Ids first + index: with first id 1, ids 100, 200, … churn, one in each block of 100.
        Assert.True(plan.IsChurning(99, out int first));
        Assert.Equal(0, first);
        Assert.True(plan.IsChurning(999_999, out int last));
        Assert.Equal(9_999, last);
        Assert.False(plan.IsChurning(0, out _));
        Assert.False(plan.IsChurning(100, out _));
    }

    [Theory]
    [InlineData(0.5, 5_000)]
    [InlineData(0, 0)]
    [InlineData(1, 10_000)]
    [InlineData(0.25, 2_500)]
    public void SignsOut_TheShareOfTheChurningUsers(double share, int expected)
    {
        var plan = new ChurnPlan(1_000_000, 0.01, 45, 45, share);
        Assert.Equal(expected, plan.SigningOut);
        Assert.Equal(expected, Enumerable.Range(0, plan.Churning).Count(plan.SignsOut));
    }

    [Fact]
    public void PhaseAt_SpreadEvenlyOverThePeriod()
    {
        var plan = new ChurnPlan(1_000, 0.1, 20, 40, 0.5); // 100 churning users, period 60 s
        var phases = Enumerable.Range(0, plan.Churning).Select(j => plan.PhaseAt(j, 0)).ToArray();
        Assert.All(phases, p => Assert.InRange(p, 0, 60));
        Assert.Equal(phases.Order(), phases);
        Assert.All(phases.Zip(phases.Skip(1)), pair => Assert.Equal(0.6, pair.Second - pair.First, 9));
        // At any moment a third of them (active 20 of 60 s) is active.
        foreach (double t in new[] { 0.0, 7.3, 61.9, 1000 })
            Assert.InRange(Enumerable.Range(0, plan.Churning).Count(j => plan.PhaseAt(j, t) < 20), 33, 34);
    }

    [Fact]
    public void ActionAt_NotChurning_AlwaysHeartbeat()
    {
        var plan = new ChurnPlan(100, 0.01, 10, 35, 1);
        for (double t = 0; t < 200; t += 10)
            Assert.Equal(SlotAction.Heartbeat, plan.ActionAt(0, t, 10, hasPrevious: t > 0));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ActionAt_OneUserOverTwoPeriods_ActiveThenSignOutOrSilence(bool signsOut)
    {
        // One user, churning (share 1): active 20 s, silent 35 s, a slot every 5 s, phase 0 at t = 0.
        var plan = new ChurnPlan(1, 1, 20, 35, signsOut ? 1 : 0);
        var actions = Enumerable.Range(0, 22).Select(k => plan.ActionAt(0, k * 5.0, 5, hasPrevious: k > 0)).ToArray();

        var quiet = signsOut ? SlotAction.SignOut : SlotAction.Silent;
        var h = SlotAction.Heartbeat;
        var s = SlotAction.Silent;
        // t = 0 5 10 15 | 20 (first silent slot) 25 … 50 | 55 60 65 70 | 75 …
        Assert.Equal([h, h, h, h, quiet, s, s, s, s, s, s, h, h, h, h, quiet, s, s, s, s, s, s], actions);
    }

    [Fact]
    public void ActionAt_SilentAtTheFirstSlot_NeverSignsOutBeforeItWasOnline()
    {
        // Share 1, 2 users: user 1's phase is half a period on, so it starts in the silent part, at its very start.
        var plan = new ChurnPlan(2, 1, 30, 30, 1);
        Assert.Equal(30, plan.PhaseAt(1, 0), 9);
        Assert.Equal(SlotAction.Silent, plan.ActionAt(1, 0, 10, hasPrevious: false));
        Assert.Equal(SlotAction.SignOut, plan.ActionAt(1, 0, 10, hasPrevious: true));
    }

    [Fact]
    public void ActionAt_EverySilentGapIsLongerThanTheSilentPeriod()
    {
        // Heartbeat gaps of churning users exceed the silent period (so the TTL, which is shorter), and
        // each cycle has exactly one offline: a sign-out or the start of a silence.
        var plan = new ChurnPlan(10_000, 0.01, 45, 45, 0.5);
        const double interval = 10;
        for (int index = 0; index < 10_000; index++)
        {
            if (!plan.IsChurning(index, out _))
                continue;
            double phase0 = (index * 7.919) % interval; // any fixed slot phase of the user
            double? lastBeat = null;
            var gaps = new List<double>();
            int offlines = 0;
            for (int k = 0; k < 40; k++)
            {
                double t = phase0 + k * interval;
                var action = plan.ActionAt(index, t, interval, hasPrevious: k > 0);
                if (action == SlotAction.Heartbeat)
                {
                    if (lastBeat is { } last && t - last > interval)
                        gaps.Add(t - last);
                    lastBeat = t;
                }
                else if (lastBeat is not null && plan.ActionAt(index, t - interval, interval, hasPrevious: k > 1) == SlotAction.Heartbeat)
                {
                    offlines++;
                }
            }
            Assert.NotEmpty(gaps);
            Assert.All(gaps, g => Assert.True(g > 45, $"user {index}: a silence of {g} s"));
            Assert.InRange(offlines, 3, 5); // 400 s of 90 s cycles
        }
    }

    [Fact]
    public void Constructor_BadShares_Throw()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChurnPlan(10, 1.1, 45, 45, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChurnPlan(10, 0.1, 45, 45, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChurnPlan(10, 0.1, 0, 45, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ChurnPlan(10, 0.1, 45, double.NaN, 0.5));
    }
}
