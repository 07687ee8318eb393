using Microsoft.Extensions.Time.Testing;

namespace Presence.Unit.Tests.Ingest;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also tells when the code under test last created a timer
/// and when that timer is due. Code awaiting only timers of this clock (a flusher's drain) is, once
/// it created a timer, waiting on it: a test may then move the clock to exactly that timer's time,
/// so what it asserts about times is exact, not a bound on how far the test happened to move the clock.
/// </summary>
internal sealed class TimerTrackingTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _lock = new();
    private long _created;
    private DateTimeOffset _lastDue;

    public FakeTimeProvider Fake { get; } = new(start);

    /// <summary>Timers created so far.</summary>
    public long Created
    {
        get
        {
            lock (_lock)
                return _created;
        }
    }

    /// <summary>When the timer created last is due.</summary>
    public DateTimeOffset LastDue
    {
        get
        {
            lock (_lock)
                return _lastDue;
        }
    }

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = Fake.CreateTimer(callback, state, dueTime, period);
        lock (_lock)
        {
            _lastDue = Fake.GetUtcNow() + dueTime;
            _created++;
        }
        return timer;
    }

    public void Advance(TimeSpan by) => Fake.Advance(by);

    /// <summary>Moves the clock to <paramref name="to"/> (never backwards).</summary>
    public void AdvanceTo(DateTimeOffset to)
    {
        var by = to - Fake.GetUtcNow();
        if (by > TimeSpan.Zero)
            Fake.Advance(by);
    }
}
