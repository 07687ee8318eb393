namespace Presence.Ingest.Internal.Gateway;

/// <summary>Why a gateway TCP connection was closed: the label of presence_tcp_connections_closed_total.</summary>
internal enum GatewayCloseReason
{
    /// <summary>The client closed its side at a frame boundary.</summary>
    Eof,

    /// <summary>A frame failed validation (also counted in presence_frames_malformed_total).</summary>
    Malformed,

    /// <summary>The client closed its side in the middle of a frame; that frame was not applied.</summary>
    Truncated,

    /// <summary>Nothing arrived for --tcp-idle-seconds.</summary>
    Idle,

    /// <summary>Accepted while --tcp-max-connections were open, and closed at once.</summary>
    OverLimit,

    /// <summary>The socket failed (reset by the peer, or another error).</summary>
    Error,

    /// <summary>The ingester is stopping.</summary>
    Shutdown,
}
