using Presence.Core.Events;

namespace Presence.Query.Internal.Events;

/// <summary>
/// One item of the feed's ring or of a subscriber's queue: a log line, or a marker saying so
/// (<see cref="StreamItemKind"/>), never a line made up to stand for one. <see cref="ReadMs"/> is
/// when this node read it (Unix ms on the node's clock, never going backwards from one read to the
/// next: <see cref="EventFeed.Now"/>): what a debounced stream orders and decides by (<see cref="Debouncer"/>).
/// </summary>
internal readonly record struct StreamItem(StreamItemKind Kind, EventLogLine Line, long ReadMs)
{
    /// <summary>The marker the feed queues when the log was replaced: the stream takes a new snapshot.</summary>
    public static StreamItem Resync => new(StreamItemKind.Resync, default, 0);

    /// <summary>The marker a group stream's watch queues when the group's membership version moved.</summary>
    public static StreamItem Membership => new(StreamItemKind.Membership, default, 0);

    /// <summary>The ring's place of a line that did not parse.</summary>
    public static StreamItem Hole(long readMs) => new(StreamItemKind.Hole, default, readMs);

    public static StreamItem Of(in EventLogLine line, long readMs) => new(StreamItemKind.Line, line, readMs);

    public bool IsLine => Kind == StreamItemKind.Line;
}
