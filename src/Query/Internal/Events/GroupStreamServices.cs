using Presence.Query.Internal.Store;

namespace Presence.Query.Internal.Events;

/// <summary>What every group stream of a node uses (<see cref="GroupStreamBody"/>).</summary>
internal sealed record GroupStreamServices(EventFeed Feed, SseWriter Sse, StreamStart Start, StreamLoop Loop, GroupStore Groups, PresenceStore Store, QueryOptions Options);
