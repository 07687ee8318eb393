namespace Presence.Bench.Faults.History;

/// <summary>
/// One look at a user's key, taken throughout the run: <see cref="ValueMs"/> is the stored receive time
/// (null: no key), <see cref="ExpireAtMs"/> its <c>PEXPIRETIME</c> (null: no key). Read in one round trip
/// at <see cref="AtMs"/>.
/// </summary>
internal readonly record struct StoreSample(long AtMs, ulong User, long? ValueMs, long? ExpireAtMs);
