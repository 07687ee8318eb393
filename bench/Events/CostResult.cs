namespace Presence.Bench.Events;

/// <summary>What one heartbeat-path run measured over its window.</summary>
internal sealed record CostResult(
    bool Events,
    int Run,
    double WindowSeconds,
    double Heartbeats,
    double SentPerSecond,
    double RedisCpuSeconds,
    double IngestCpuSeconds,
    double Transitions,
    double KernelDrops,
    double PendingUsersMax,
    double WritesPerSecond,
    string LoadAverage)
{
    public double HeartbeatsPerSecond => Heartbeats / WindowSeconds;

    /// <summary>redis-server CPU microseconds per heartbeat accepted.</summary>
    public double RedisUsPerHeartbeat => Heartbeats == 0 ? double.NaN : RedisCpuSeconds * 1e6 / Heartbeats;

    /// <summary>presence-ingest CPU microseconds per heartbeat accepted.</summary>
    public double IngestUsPerHeartbeat => Heartbeats == 0 ? double.NaN : IngestCpuSeconds * 1e6 / Heartbeats;
}
