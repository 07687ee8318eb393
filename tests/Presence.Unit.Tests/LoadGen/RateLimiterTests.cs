using Presence.LoadGen.Internal;

namespace Presence.Unit.Tests.LoadGen;

public sealed class RateLimiterTests
{
    [Theory]
    [InlineData(1000, 0.0013)]   // polled often, in small takes
    [InlineData(1000, 0.0201)]   // polled at the send loop's longest sleep
    [InlineData(50_000, 0.0011)]
    [InlineData(3, 0.05)]
    public void Take_OverFiveSeconds_HoldsTheRate(double rate, double pollEvery)
    {
        var limiter = new RateLimiter(rate, RateLimiter.BurstFor(rate));
        long granted = 0;
        for (double t = 0; t < 5; t += pollEvery)
            granted += limiter.Take(t, 64);
        double expected = rate * 5;
        Assert.InRange(granted, expected * 0.97 - 1, expected + 1);
    }

    [Fact]
    public void Take_AtStart_NoBurst()
    {
        var limiter = new RateLimiter(10_000, 50);
        Assert.Equal(1, limiter.Take(0, 64));
        Assert.Equal(0, limiter.Take(0, 64));
    }

    [Fact]
    public void Take_AfterIdle_AtMostTheBurst()
    {
        var limiter = new RateLimiter(10_000, 50);
        limiter.Take(0, 1);
        Assert.Equal(50, limiter.Take(10, 1000));
    }

    [Fact]
    public void Return_TokensNotUsed_CanBeTakenAgain_NotPastTheBurst()
    {
        var limiter = new RateLimiter(1000, 25);
        limiter.Take(0, 1);
        Assert.Equal(25, limiter.Take(1, 100)); // a full bucket
        limiter.Return(10);
        Assert.Equal(10, limiter.Take(1, 100));
        limiter.Return(1000);
        Assert.Equal(25, limiter.Take(1, 100)); // capped at the burst
    }

    [Fact]
    public void WaitForOne_Empty_IsTheTimeForOneToken()
    {
        var limiter = new RateLimiter(100, 1);
        limiter.Take(0, 1);
        Assert.Equal(0.01, limiter.WaitForOne(0), 9);
        Assert.Equal(0.005, limiter.WaitForOne(0.005), 9);
        Assert.Equal(0, limiter.WaitForOne(0.01));
    }

    [Fact]
    public void Take_ClockGoesBack_GrantsNothingExtra()
    {
        var limiter = new RateLimiter(100, 10);
        limiter.Take(1, 10);
        Assert.Equal(0, limiter.Take(0.5, 10));
    }
}
