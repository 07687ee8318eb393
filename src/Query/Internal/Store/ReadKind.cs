namespace Presence.Query.Internal.Store;

/// <summary>What a <see cref="ReadRequest"/> sent, and so which reply it expects.</summary>
internal enum ReadKind
{
    /// <summary>GET of one key: a bulk string or nil.</summary>
    Get,

    /// <summary>MGET of several keys: an array of as many bulk strings or nils.</summary>
    MultiGet,

    /// <summary>PING: +PONG.</summary>
    Ping,
}
