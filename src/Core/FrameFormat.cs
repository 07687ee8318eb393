namespace Presence.Core;

/// <summary>Constants of the wire format (PROTOCOL.md, version 1).</summary>
public static class FrameFormat
{
    public const byte Magic0 = 0x50; // 'P'
    public const byte Magic1 = 0x48; // 'H'
    public const byte Version = 0x01;

    /// <summary>Flags bit 0: every record carries a 16-byte tag.</summary>
    public const byte FlagSigned = 0x01;

    public const int HeaderSize = 6;

    /// <summary>magic, version and flags: the part of the header every tag covers.</summary>
    public const int SignedHeaderSize = 4;

    public const int TagSize = 16;
    public const int UnsignedRecordSize = HeartbeatRecord.Size;
    public const int SignedRecordSize = HeartbeatRecord.Size + TagSize;

    /// <summary>One Ethernet payload (1500 − IP 20 − UDP 8): the largest UDP frame accepted.</summary>
    public const int MaxUdpFrameSize = 1472;

    /// <summary>Records one UDP frame can hold: 91 unsigned, 45 signed.</summary>
    public const int MaxUdpUnsignedRecords = (MaxUdpFrameSize - HeaderSize) / UnsignedRecordSize;
    public const int MaxUdpSignedRecords = (MaxUdpFrameSize - HeaderSize) / SignedRecordSize;

    /// <summary>Records a TCP frame may hold.</summary>
    public const int MaxTcpRecords = 4096;

    public static int RecordSize(bool signed) => signed ? SignedRecordSize : UnsignedRecordSize;

    public static int FrameSize(int count, bool signed) => HeaderSize + count * RecordSize(signed);
}
