namespace Presence.Query.Internal;

/// <summary>The event types of a stream (HTTP-API.md), as metric labels.</summary>
internal enum EventType
{
    Snapshot,
    Online,
    Offline,
}
