namespace Presence.Unit.Tests;

/// <summary>Each malformed case reports its own reason, so operators can tell faults apart.</summary>
public sealed class FrameParserTests
{
    private static byte[] Unsigned(params HeartbeatRecord[] records)
    {
        var buffer = new byte[FrameFormat.FrameSize(records.Length, signed: false)];
        FrameWriter.WriteUnsigned(buffer, records);
        return buffer;
    }

    private static readonly HeartbeatRecord s_good = new(42, 1764270000, 7, RecordKind.Heartbeat, 0);

    [Fact]
    public void TryParse_Empty_IsTooShort() =>
        Assert.Equal(FrameStatus.TooShort, FrameParser.TryParse([], out _));

    [Fact]
    public void TryParse_BadMagic_IsBadMagic()
    {
        var f = Unsigned(s_good);
        f[1] = 0x58;
        Assert.Equal(FrameStatus.BadMagic, FrameParser.TryParse(f, out _));
    }

    [Fact]
    public void TryParse_Version2_IsUnsupportedVersion()
    {
        var f = Unsigned(s_good);
        f[2] = 2;
        Assert.Equal(FrameStatus.UnsupportedVersion, FrameParser.TryParse(f, out _));
    }

    [Fact]
    public void TryParse_UnknownFlag_IsUnknownFlags()
    {
        var f = Unsigned(s_good);
        f[3] = 0x80;
        Assert.Equal(FrameStatus.UnknownFlags, FrameParser.TryParse(f, out _));
    }

    [Fact]
    public void TryParse_CountZero_IsZeroCount() =>
        Assert.Equal(FrameStatus.ZeroCount, FrameParser.TryParse(Convert.FromHexString("504801000000"), out _));

    [Fact]
    public void TryParse_CountMismatch_IsLengthMismatch()
    {
        var f = Unsigned(s_good, s_good);
        Assert.Equal(FrameStatus.LengthMismatch, FrameParser.TryParse(f.AsSpan(0, f.Length - 1), out _));
        Assert.Equal(FrameStatus.LengthMismatch, FrameParser.TryParse([.. f, 0], out _));
    }

    [Fact]
    public void TryParse_OverCaller_IsTooManyRecords()
    {
        var f = Unsigned(s_good, s_good, s_good);
        Assert.Equal(FrameStatus.TooManyRecords, FrameParser.TryParse(f, out _, maxRecords: 2));
        Assert.Equal(FrameStatus.Ok, FrameParser.TryParse(f, out _, maxRecords: 3));
    }

    [Fact]
    public void TryParse_SecondRecordBad_RejectsWholeFrame()
    {
        Assert.Equal(FrameStatus.ZeroUserId, FrameParser.TryParse(Unsigned(s_good, s_good with { UserId = 0 }), out _));
        Assert.Equal(FrameStatus.InvalidKind, FrameParser.TryParse(Unsigned(s_good, s_good with { Kind = (RecordKind)2 }), out _));
        Assert.Equal(FrameStatus.UnsignedKeyId, FrameParser.TryParse(Unsigned(s_good, s_good with { KeyId = 1 }), out _));
    }

    [Fact]
    public void TryParse_SignedTimeZero_IsSignedZeroTime()
    {
        var buffer = new byte[64];
        var key = new byte[32];
        int n = FrameWriter.WriteSigned(buffer, [s_good with { Time = 0 }], key);
        Assert.Equal(FrameStatus.SignedZeroTime, FrameParser.TryParse(buffer.AsSpan(0, n), out _));
    }

    [Fact]
    public void TryParse_UnsignedTimeZero_IsOk() =>
        Assert.Equal(FrameStatus.Ok, FrameParser.TryParse(Unsigned(s_good with { Time = 0 }), out _));

    [Fact]
    public void TryReadHeader_PartialFrame_GivesCountBeforeBodyArrives()
    {
        var f = Unsigned(s_good, s_good);
        Assert.Equal(FrameStatus.Ok, FrameParser.TryReadHeader(f.AsSpan(0, 6), out int count, out bool signed));
        Assert.Equal(2, count);
        Assert.False(signed);
    }

    [Fact]
    public void UdpLimits_MatchProtocol()
    {
        Assert.Equal(91, FrameFormat.MaxUdpUnsignedRecords);
        Assert.Equal(45, FrameFormat.MaxUdpSignedRecords);
    }

    [Fact]
    public void WriteUnsigned_BufferTooSmall_Throws() =>
        Assert.Throws<ArgumentException>(() => FrameWriter.WriteUnsigned(new byte[21], [s_good]));
}
