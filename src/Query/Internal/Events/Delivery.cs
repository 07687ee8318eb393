using Presence.Core.Events;

namespace Presence.Query.Internal.Events;

/// <summary>
/// An event a stream sends: a log line and its place in the stream's order, <see cref="KeyMs"/>:
/// the time the node read it, or, for an offline a debounced stream held, the time it was due
/// (<see cref="Debouncer"/>). A debounced stream's event id carries it.
/// </summary>
internal readonly record struct Delivery(EventLogLine Line, long KeyMs);
