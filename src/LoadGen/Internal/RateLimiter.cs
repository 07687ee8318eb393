using System.Diagnostics;

namespace Presence.LoadGen.Internal;

/// <summary>
/// A token bucket over a caller-given clock (seconds as a double), so it is a pure function of
/// the times it is shown: <c>rate</c> tokens a second, at most <c>burst</c> held. The bucket
/// starts with one token, so a start-up never bursts.
/// </summary>
internal sealed class RateLimiter
{
    private readonly double _rate;
    private readonly double _burst;
    private double _tokens = 1;
    private double _last = double.NaN;

    public RateLimiter(double perSecond, double burst)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(perSecond);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        _rate = perSecond;
        _burst = burst;
    }

    public double PerSecond => _rate;

    /// <summary>
    /// 25 ms of tokens, at least 1: more than the send loop's longest sleep (20 ms), so an
    /// oversleep or a short preemption is made up by the next batch instead of lowering the rate.
    /// </summary>
    public static double BurstFor(double perSecond) => Math.Max(1, perSecond * 0.025);

    /// <summary>Takes up to <paramref name="wanted"/> whole tokens at time <paramref name="now"/>; returns how many.</summary>
    public int Take(double now, int wanted)
    {
        Refill(now);
        int granted = (int)Math.Min(wanted, Math.Floor(_tokens));
        _tokens -= granted;
        Debug.Assert(_tokens >= 0);
        return granted;
    }

    /// <summary>Gives back <paramref name="tokens"/> taken but not used (never past the burst).</summary>
    public void Return(int tokens)
    {
        Debug.Assert(tokens >= 0);
        _tokens = Math.Min(_burst, _tokens + tokens);
    }

    /// <summary>Seconds from <paramref name="now"/> until one whole token is there (0 when one is).</summary>
    public double WaitForOne(double now)
    {
        Refill(now);
        return _tokens >= 1 ? 0 : (1 - _tokens) / _rate;
    }

    private void Refill(double now)
    {
        if (!double.IsNaN(_last) && now > _last)
            _tokens = Math.Min(_burst, _tokens + (now - _last) * _rate);
        if (double.IsNaN(_last) || now > _last)
            _last = now;
    }
}
