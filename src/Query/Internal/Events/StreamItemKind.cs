namespace Presence.Query.Internal.Events;

/// <summary>What a <see cref="StreamItem"/> carries.</summary>
internal enum StreamItemKind : byte
{
    /// <summary>A line of the events log.</summary>
    Line,

    /// <summary>The log was replaced (the store lost its data) or the feed fell behind past it: the stream takes a new snapshot.</summary>
    Resync,

    /// <summary>A group stream's membership may have changed (<see cref="GroupWatch"/>): the stream reads it again.</summary>
    Membership,

    /// <summary>A sequence number the feed read but could not parse (none is, from the scripts): held in the ring, sent to nobody.</summary>
    Hole,
}
