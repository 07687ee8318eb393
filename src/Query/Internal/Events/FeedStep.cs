namespace Presence.Query.Internal.Events;

/// <summary>What one read of the events log did to the feed's place in it (<see cref="EventLogCursor.Apply"/>).</summary>
internal enum FeedStep
{
    /// <summary>The first read: the feed now follows the log from (near) its end; nobody was subscribed yet.</summary>
    Started,

    /// <summary>Another epoch, a log that shrank below the feed's position, or lines the store trimmed before the feed read them: the feed starts again at the log's end, and every open stream must take a new snapshot.</summary>
    Restarted,

    /// <summary>Lines were taken and the log holds more after them.</summary>
    More,

    /// <summary>The feed is at the log's end (as of this read).</summary>
    AtEnd,
}
