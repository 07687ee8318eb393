using Presence.Core.Events;

namespace Presence.Query.Internal;

/// <summary>
/// What one read of the events log returned: its epoch, the last and first sequence numbers it
/// holds, the lines after the position asked, and the sequence number of the last line returned
/// (lines are numbered by their place; one that does not parse is skipped, not re-read forever).
/// </summary>
internal sealed record LogRead(string Epoch, long LastSeq, long FirstSeq, List<EventLogLine> Entries, long ReadTo);
