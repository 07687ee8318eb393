using Presence.Core.Events;

namespace Presence.Query.Internal;

/// <summary>What one read of the events log returned: its epoch, the last and first sequence numbers it holds, and lines after the position asked.</summary>
internal sealed record LogRead(string Epoch, long LastSeq, long FirstSeq, List<EventLogLine> Entries);
