using Presence.Core.Events;

namespace Presence.Query.Internal.Events;

/// <summary>
/// One item of the feed's ring or of a subscriber's queue: a log line, or a marker saying so
/// (<see cref="StreamItemKind"/>), never a line made up to stand for one.
/// </summary>
internal readonly record struct StreamItem(StreamItemKind Kind, EventLogLine Line)
{
    /// <summary>The marker the feed queues when the log was replaced: the stream takes a new snapshot.</summary>
    public static StreamItem Resync => new(StreamItemKind.Resync, default);

    /// <summary>The ring's place of a line that did not parse.</summary>
    public static StreamItem Hole => new(StreamItemKind.Hole, default);

    public static StreamItem Of(in EventLogLine line) => new(StreamItemKind.Line, line);

    public bool IsLine => Kind == StreamItemKind.Line;
}
