using System.Buffers;
using Presence.Core;

namespace Presence.Ingest.Internal.Gateway;

/// <summary>
/// Splits a TCP byte stream into frames (PROTOCOL.md: frames back to back, each self-delimiting).
/// Pure: no I/O, so every way a stream can be cut is unit-tested apart from sockets.
/// </summary>
internal static class GatewayFrameReader
{
    /// <summary>
    /// Reads one frame from the start of <paramref name="buffer"/>. The header is judged as soon as
    /// its 6 bytes are there, so a bad one closes the connection without waiting for a body that
    /// may never come (or, with a huge count, would be an invitation to buffer without bound).
    /// </summary>
    /// <param name="buffer">On <see cref="GatewayFrameResult.Frame"/>, advanced past the frame; else unchanged.</param>
    /// <param name="frame">The frame's bytes (header included) when one was read.</param>
    /// <param name="count">The header's record count (when the header was valid).</param>
    /// <param name="status">Why the header is malformed, else <see cref="FrameStatus.Ok"/> (or <see cref="FrameStatus.TooShort"/> while waiting for a header).</param>
    public static GatewayFrameResult TryRead(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame, out int count,
        out FrameStatus status, int maxRecords = FrameFormat.MaxTcpRecords)
    {
        frame = default;
        count = 0;
        if (buffer.Length < FrameFormat.HeaderSize)
        {
            status = FrameStatus.TooShort;
            return GatewayFrameResult.NeedMore;
        }
        Span<byte> header = stackalloc byte[FrameFormat.HeaderSize];
        buffer.Slice(0, FrameFormat.HeaderSize).CopyTo(header);
        status = FrameParser.TryReadHeader(header, out count, out bool signed, maxRecords);
        if (status != FrameStatus.Ok)
            return GatewayFrameResult.Malformed;
        int length = FrameFormat.FrameSize(count, signed);
        if (buffer.Length < length)
            return GatewayFrameResult.NeedMore;
        frame = buffer.Slice(0, length);
        buffer = buffer.Slice(length);
        return GatewayFrameResult.Frame;
    }

    /// <summary>Why bytes left at the end of a stream (a frame cut short) are malformed.</summary>
    public static FrameStatus TruncatedStatus(long leftover) =>
        leftover < FrameFormat.HeaderSize ? FrameStatus.TooShort : FrameStatus.LengthMismatch;
}
