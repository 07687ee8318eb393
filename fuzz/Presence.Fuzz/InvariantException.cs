namespace Presence.Fuzz;

/// <summary>A fuzz target found its code under test breaking a stated invariant.</summary>
public sealed class InvariantException(string invariant) : Exception($"Invariant broken: {invariant}");
