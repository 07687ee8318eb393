using System.Diagnostics;

namespace Presence.Ingest.Internal;

/// <summary>
/// Unix milliseconds that never go backwards: the wall clock read once at start, then advanced
/// by the monotonic Stopwatch. A wall-clock step (NTP) can thus never make a later heartbeat
/// look older than an earlier one within the process.
/// </summary>
internal sealed class IngestClock
{
    private readonly long _startUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
    private readonly long _startTicks = Stopwatch.GetTimestamp();

    public long NowMs => _startUnixMs + (long)Stopwatch.GetElapsedTime(_startTicks).TotalMilliseconds;
}
