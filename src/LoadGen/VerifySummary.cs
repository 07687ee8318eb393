namespace Presence.LoadGen;

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
