using System.Buffers.Binary;
using System.Diagnostics;

namespace Presence.Core;

/// <summary>
/// A frame that passed <see cref="FrameParser.TryParse(ReadOnlySpan{byte}, out Frame, int)"/>:
/// a view over the caller's buffer, valid as long as that buffer is.
/// </summary>
public readonly ref struct Frame
{
    private readonly ReadOnlySpan<byte> _bytes;

    internal Frame(ReadOnlySpan<byte> bytes, int count, bool signed)
    {
        Debug.Assert(bytes.Length == FrameFormat.FrameSize(count, signed));
        _bytes = bytes;
        Count = count;
        IsSigned = signed;
    }

    public int Count { get; }

    public bool IsSigned { get; }

    public int RecordSize => IsSigned ? FrameFormat.SignedRecordSize : FrameFormat.UnsignedRecordSize;

    /// <summary>The whole frame.</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>magic, version and flags: what each tag covers ahead of its record.</summary>
    public ReadOnlySpan<byte> SignedHeader => _bytes[..FrameFormat.SignedHeaderSize];

    public HeartbeatRecord this[int index] => HeartbeatRecord.Read(RecordBytes(index));

    /// <summary>The 16 record bytes of record <paramref name="index"/>, without its tag.</summary>
    public ReadOnlySpan<byte> RecordBytes(int index) =>
        _bytes.Slice(FrameFormat.HeaderSize + index * RecordSize, HeartbeatRecord.Size);

    /// <summary>The 16-byte tag of record <paramref name="index"/> (signed frames only).</summary>
    public ReadOnlySpan<byte> Tag(int index)
    {
        Debug.Assert(IsSigned);
        return _bytes.Slice(FrameFormat.HeaderSize + index * RecordSize + HeartbeatRecord.Size, FrameFormat.TagSize);
    }

    /// <summary>The user id of record <paramref name="index"/>, read without decoding the rest.</summary>
    public ulong UserId(int index) =>
        BinaryPrimitives.ReadUInt64BigEndian(_bytes[(FrameFormat.HeaderSize + index * RecordSize)..]);
}
