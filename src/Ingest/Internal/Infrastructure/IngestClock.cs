namespace Presence.Ingest.Internal.Infrastructure;

/// <summary>
/// Unix milliseconds that never go backwards: the wall clock read once at start, then advanced
/// by the monotonic timestamp. A wall-clock step (NTP) can thus never make a later heartbeat
/// look older than an earlier one within the process. Time comes from a <see cref="TimeProvider"/>,
/// so tests drive it with a fake clock.
/// </summary>
internal sealed class IngestClock
{
    private readonly TimeProvider _time;
    private readonly long _startUnixMs;
    private readonly long _startTimestamp;

    public IngestClock(TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _startUnixMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        _startTimestamp = _time.GetTimestamp();
    }

    public TimeProvider Time => _time;

    public long NowMs => _startUnixMs + (long)_time.GetElapsedTime(_startTimestamp).TotalMilliseconds;
}
