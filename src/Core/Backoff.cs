namespace Presence.Core;

/// <summary>
/// Capped exponential backoff between store attempts after a failure: 100 ms, 200 ms, … up to
/// the cap, so a returning server is used soon while a dead one is not hammered. Shared by the
/// ingester's flusher and events log, the query node's events feed, and clients that reconnect.
/// </summary>
public struct Backoff(TimeSpan initial, TimeSpan cap)
{
    private TimeSpan _next = initial;

    public readonly TimeSpan Initial { get; } = initial;

    public readonly TimeSpan Cap { get; } = cap;

    public int Failures { get; private set; }

    /// <summary>The delay before the next attempt, doubling each time up to the cap.</summary>
    public TimeSpan Fail()
    {
        Failures++;
        var delay = _next;
        _next = TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, Cap.Ticks));
        return delay;
    }

    public void Succeed()
    {
        Failures = 0;
        _next = Initial;
    }
}
