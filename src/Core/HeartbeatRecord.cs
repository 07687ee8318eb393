using System.Buffers.Binary;

namespace Presence.Core;

/// <summary>
/// One 16-byte record of a frame, decoded. A plain value: the codec never allocates for it.
/// </summary>
public readonly record struct HeartbeatRecord(ulong UserId, uint Time, ushort Seq, RecordKind Kind, byte KeyId)
{
    /// <summary>Bytes of a record on the wire, without a tag.</summary>
    public const int Size = 16;

    /// <summary>Reads a record without validating it; <see cref="FrameParser"/> validates.</summary>
    public static HeartbeatRecord Read(ReadOnlySpan<byte> source) => new(
        BinaryPrimitives.ReadUInt64BigEndian(source),
        BinaryPrimitives.ReadUInt32BigEndian(source[8..]),
        BinaryPrimitives.ReadUInt16BigEndian(source[12..]),
        (RecordKind)source[14],
        source[15]);

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, UserId);
        BinaryPrimitives.WriteUInt32BigEndian(destination[8..], Time);
        BinaryPrimitives.WriteUInt16BigEndian(destination[12..], Seq);
        destination[14] = (byte)Kind;
        destination[15] = KeyId;
    }
}
