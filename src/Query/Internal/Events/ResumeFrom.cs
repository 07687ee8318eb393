namespace Presence.Query.Internal.Events;

/// <summary>Where a stream starting after a log position can take its lines from (<see cref="EventLogCursor.Locate"/>).</summary>
internal enum ResumeFrom
{
    /// <summary>The ring holds every line after the position: catch up from it, then live lines.</summary>
    Ring,

    /// <summary>
    /// A position the log has (the store's last line is at or after it) that the feed has not read
    /// yet: the stream takes the lines after it as the feed reads them, nothing before.
    /// </summary>
    Ahead,

    /// <summary>
    /// Past the log's last line as far as is known: not a position of this log (garbage, or a line
    /// a store lost). Served only after the store confirms its last line is at or after it;
    /// otherwise the stream takes a snapshot.
    /// </summary>
    PastEnd,

    /// <summary>Another epoch, or older than the ring holds: the stream takes a snapshot.</summary>
    Unknown,
}
