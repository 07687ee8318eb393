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

/// <summary>
/// What <c>--verify</c> found: of the users <c>expected</c> in state <c>expect</c> ("online", or
/// "offline" after <c>--offline-at-end</c>), how many the query service reports online, how
/// many are not in the expected state (<c>missing</c>, the first ten listed), and how many were
/// dropped from the check because their TTL ran out before they were confirmed.
/// </summary>
internal sealed record VerifySummary(
    string Url,
    string Expect,
    long Expected,
    long Online,
    long Missing,
    IReadOnlyList<string> MissingIds,
    long Expired,
    bool Ok);
