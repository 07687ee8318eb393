namespace Presence.Query.Internal.Events;

/// <summary>The event types of a stream (HTTP-API.md), as metric labels.</summary>
internal enum EventType
{
    Snapshot,
    Online,
    Offline,
    MemberAdded,
    MemberRemoved,
}
