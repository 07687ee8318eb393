namespace Presence.Query.Internal;

/// <summary>
/// The log's state of some users at one sequence number: for each, the <c>at</c> of its online
/// line, or <see cref="EventLogStore.Offline"/> when the log has it offline.
/// </summary>
internal sealed record LogSnapshot(string Epoch, long Seq, long[] OnlineSince);
