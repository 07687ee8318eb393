using System.Buffers.Binary;

namespace Presence.Core;

/// <summary>Validates frames (PROTOCOL.md) without allocating.</summary>
public static class FrameParser
{
    /// <summary>
    /// Parses <paramref name="bytes"/> as exactly one frame. Every record is validated here, so a
    /// frame that comes back <see cref="FrameStatus.Ok"/> holds only well-formed records, and a
    /// malformed frame is rejected whole (none of its records may be applied).
    /// </summary>
    /// <param name="maxRecords">The most records accepted (the UDP size bound makes 91 the most there).</param>
    public static FrameStatus TryParse(ReadOnlySpan<byte> bytes, out Frame frame, int maxRecords = FrameFormat.MaxTcpRecords)
    {
        frame = default;
        var status = TryReadHeader(bytes, out int count, out bool signed, maxRecords);
        if (status != FrameStatus.Ok)
            return status;
        if (bytes.Length != FrameFormat.FrameSize(count, signed))
            return FrameStatus.LengthMismatch;

        int recordSize = FrameFormat.RecordSize(signed);
        var records = bytes[FrameFormat.HeaderSize..];
        for (int i = 0; i < count; i++)
        {
            status = ValidateRecord(records.Slice(i * recordSize, HeartbeatRecord.Size), signed);
            if (status != FrameStatus.Ok)
                return status;
        }

        frame = new Frame(bytes, count, signed);
        return FrameStatus.Ok;
    }

    /// <summary>
    /// Reads and checks the 6-byte header only: what a stream reader needs to know how long the
    /// frame is before the rest has arrived. <see cref="FrameStatus.TooShort"/> when fewer than 6 bytes.
    /// </summary>
    public static FrameStatus TryReadHeader(ReadOnlySpan<byte> bytes, out int count, out bool signed, int maxRecords = FrameFormat.MaxTcpRecords)
    {
        count = 0;
        signed = false;
        if (bytes.Length < FrameFormat.HeaderSize)
            return FrameStatus.TooShort;
        if (bytes[0] != FrameFormat.Magic0 || bytes[1] != FrameFormat.Magic1)
            return FrameStatus.BadMagic;
        if (bytes[2] != FrameFormat.Version)
            return FrameStatus.UnsupportedVersion;
        byte flags = bytes[3];
        if ((flags & ~FrameFormat.FlagSigned) != 0)
            return FrameStatus.UnknownFlags;
        count = BinaryPrimitives.ReadUInt16BigEndian(bytes[4..]);
        if (count == 0)
            return FrameStatus.ZeroCount;
        if (count > maxRecords)
            return FrameStatus.TooManyRecords;
        signed = (flags & FrameFormat.FlagSigned) != 0;
        return FrameStatus.Ok;
    }

    private static FrameStatus ValidateRecord(ReadOnlySpan<byte> record, bool signed)
    {
        if (BinaryPrimitives.ReadUInt64BigEndian(record) == 0)
            return FrameStatus.ZeroUserId;
        if (record[14] > (byte)RecordKind.Offline)
            return FrameStatus.InvalidKind;
        if (signed)
        {
            if (BinaryPrimitives.ReadUInt32BigEndian(record[8..]) == 0)
                return FrameStatus.SignedZeroTime;
        }
        else if (record[15] != 0)
        {
            return FrameStatus.UnsignedKeyId;
        }
        return FrameStatus.Ok;
    }
}
