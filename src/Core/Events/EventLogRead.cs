namespace Presence.Core.Events;

/// <summary>
/// What one read of the events log returned (<see cref="EventLogReadCall"/>): its epoch, the last
/// and first sequence numbers it holds, the lines after the position asked, and the sequence
/// number of the last line returned (lines are numbered by their place; one that does not parse
/// is skipped, not re-read forever).
/// </summary>
public sealed record EventLogRead(string Epoch, long LastSeq, long FirstSeq, List<EventLogLine> Entries, long ReadTo);
