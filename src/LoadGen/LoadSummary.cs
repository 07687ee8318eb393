namespace Presence.LoadGen;

/// <summary>
/// What a run did: the one JSON object <c>--json</c> prints on stdout (camelCase names; ids as
/// decimal strings, as in the query API). Rates are over the heartbeat phase.
/// </summary>
internal sealed record LoadSummary(
    string Target,
    string Sender,
    bool Signed,
    int Users,
    string FirstId,
    double IntervalSeconds,
    int PerFrame,
    double? RateCap,
    long FramesSent,
    long RecordsSent,
    long DuplicateRecords,
    long OfflineRecords,
    long UsersCovered,
    long Errors,
    double ElapsedSeconds,
    double FramesPerSecond,
    double RecordsPerSecond,
    ChurnSummary? Churn,
    VerifySummary? Verify);
