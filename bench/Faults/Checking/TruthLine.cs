namespace Presence.Bench.Faults.Checking;

/// <summary>One transition of the truth (<see cref="Truth"/>): from the run's log reader, or else from what a subscriber received.</summary>
internal readonly record struct TruthLine(string Epoch, long Seq, ulong User, bool Online, long At, string? Reason, bool FromLog)
{
    public string Describe() =>
        $"{Epoch}-{Seq} user {User} {(Online ? "online" : "offline")} at {At}{(Reason is null ? "" : $" ({Reason})")}";
}
