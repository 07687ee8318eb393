namespace Presence.Bench.EndToEnd;

/// <summary>The receivers compared: presence-ingest, and the one-awaited-SET-per-heartbeat pool (bench/Baseline).</summary>
internal enum SystemKind
{
    Presence,
    Baseline,
}
