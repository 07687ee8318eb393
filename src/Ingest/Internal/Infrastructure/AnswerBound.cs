namespace Presence.Ingest.Internal.Infrastructure;

/// <summary>
/// How long the ingester waits for a store command's answer before taking it as lost.
/// StackExchange.Redis times commands out itself (asyncTimeout), but can leave a task unanswered
/// forever when a connection fails under it (StackExchange.Redis#2742, open; the fault-schedule
/// run's own sampler hung so): an ingester awaiting such a task would stop flushing, or stop
/// checking expiries, for good. Every await of a store command is bounded by this; a command still
/// unanswered then is handled as one that failed (retried, checked again).
/// </summary>
internal static class AnswerBound
{
    /// <summary>When no store timeout is known (benchmarks, tests): above any --store-timeout-ms (at most 60 s).</summary>
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(121);

    /// <summary>Twice the client's own timeout and a second more, so that timeout fires first whenever it works.</summary>
    public static TimeSpan For(int asyncTimeoutMs) => TimeSpan.FromMilliseconds((2L * asyncTimeoutMs) + 1000);
}
