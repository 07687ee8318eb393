namespace Presence.Core.Events;

/// <summary>
/// The online count as the events log keeps it (<see cref="EventLogCountCall"/>): <see cref="Online"/>
/// users online after line <see cref="Seq"/> of <see cref="Epoch"/>, <see cref="AtMs"/> the newest
/// <c>at</c> of the lines counted (0 when none was counted since the count began). <see cref="Seq"/>
/// is null when the store has no log (no ingester with events on has appended to it).
/// </summary>
public sealed record EventLogCount(string? Epoch, long? Seq, long Online, long AtMs)
{
    /// <summary>Whether the store has an events log at all.</summary>
    public bool HasLog => Seq is not null;
}
