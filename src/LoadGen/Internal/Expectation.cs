namespace Presence.LoadGen.Internal;

/// <summary>A user the query service should report in the expected state, until <paramref name="UntilUnixMs"/>.</summary>
/// <param name="UntilUnixMs">After this the user may rightly have expired (its TTL ran out); long.MaxValue: never.</param>
internal readonly record struct Expectation(ulong UserId, long UntilUnixMs);
