namespace Presence.Query.Internal.Store;

/// <summary>What a <see cref="ReadRequest"/> sent, and so which reply it expects.</summary>
internal enum ReadKind
{
    /// <summary>GET of one key: a bulk string or nil.</summary>
    Get,

    /// <summary>MGET of several keys: an array of as many bulk strings or nils.</summary>
    MultiGet,

    /// <summary>
    /// EVALSHA of the presence script (<see cref="Presence.Core.LastSeen.LastSeenScripts.Presence"/>) over
    /// one or more ids: an array of as many bulk strings, integers (a last seen) or nils.
    /// </summary>
    PresenceWithLastSeen,

    /// <summary>PING: +PONG.</summary>
    Ping,
}
