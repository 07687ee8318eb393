namespace Presence.Core;

/// <summary>What a record says (PROTOCOL.md, "Record"). Other values are malformed.</summary>
public enum RecordKind : byte
{
    Heartbeat = 0,
    Offline = 1,
}
