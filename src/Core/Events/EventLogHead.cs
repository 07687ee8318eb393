namespace Presence.Core.Events;

/// <summary>The events log's name (<see cref="EventLogKeys.Epoch"/>) and the sequence number of its last line (0 before any).</summary>
public readonly record struct EventLogHead(string Epoch, long LastSeq);
