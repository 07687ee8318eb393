namespace Presence.Ingest.Internal.Gateway;

/// <summary>What <see cref="GatewayFrameReader.TryRead"/> found at the start of the buffer.</summary>
internal enum GatewayFrameResult
{
    /// <summary>A whole frame, sliced off the buffer (its records are not validated yet).</summary>
    Frame,

    /// <summary>Not yet a whole frame: wait for more bytes.</summary>
    NeedMore,

    /// <summary>The header breaks the protocol: the frame's length cannot be trusted, so the stream is lost.</summary>
    Malformed,
}
