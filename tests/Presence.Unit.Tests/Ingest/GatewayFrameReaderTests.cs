using System.Buffers;
using Presence.Ingest.Internal.Gateway;

namespace Presence.Unit.Tests.Ingest;

public sealed class GatewayFrameReaderTests
{
    private static byte[] Frame(int records, ulong firstUser = 1)
    {
        var rs = Enumerable.Range(0, records).Select(i => new HeartbeatRecord(firstUser + (ulong)i, 0, 0, RecordKind.Heartbeat, 0)).ToArray();
        var buffer = new byte[FrameFormat.FrameSize(records, signed: false)];
        FrameWriter.WriteUnsigned(buffer, rs);
        return buffer;
    }

    /// <summary>A sequence of one segment per chunk, as a pipe holds bytes that arrived in pieces.</summary>
    private static ReadOnlySequence<byte> Segmented(byte[] bytes, int chunk) => TestSequences.Chunked(bytes, chunk);

    [Fact]
    public void TryRead_FramesBackToBack_EachSlicedInTurn()
    {
        var bytes = Frame(3).Concat(Frame(4096, 100)).Concat(Frame(1, 9)).ToArray();
        var buffer = Segmented(bytes, 1000);
        var counts = new List<int>();
        while (GatewayFrameReader.TryRead(ref buffer, out var frame, out int count, out var status) == GatewayFrameResult.Frame)
        {
            Assert.Equal(FrameStatus.Ok, status);
            Assert.Equal(FrameFormat.FrameSize(count, false), frame.Length);
            Assert.Equal(FrameStatus.Ok, FrameParser.TryParse(frame.ToArray(), out _));
            counts.Add(count);
        }
        Assert.Equal([3, 4096, 1], counts);
        Assert.Equal(0, buffer.Length);
    }

    [Fact]
    public void TryRead_EveryCutOfAFrame_NeedMoreUntilWhole()
    {
        var bytes = Frame(5);
        for (int cut = 0; cut < bytes.Length; cut++)
        {
            var buffer = cut == 0 ? ReadOnlySequence<byte>.Empty : Segmented(bytes[..cut], 3);
            var result = GatewayFrameReader.TryRead(ref buffer, out _, out _, out _);
            Assert.Equal(GatewayFrameResult.NeedMore, result);
            Assert.Equal(cut, buffer.Length); // nothing consumed
        }
        var whole = Segmented(bytes, 3);
        Assert.Equal(GatewayFrameResult.Frame, GatewayFrameReader.TryRead(ref whole, out _, out int n, out _));
        Assert.Equal(5, n);
    }

    [Theory]
    [InlineData("505801000001", FrameStatus.BadMagic)]
    [InlineData("504802000001", FrameStatus.UnsupportedVersion)]
    [InlineData("504801020001", FrameStatus.UnknownFlags)]
    [InlineData("504801000000", FrameStatus.ZeroCount)]
    [InlineData("504801001001", FrameStatus.TooManyRecords)] // 4097 records
    public void TryRead_BadHeader_MalformedAtOnce_WithoutWaitingForTheBody(string header, FrameStatus expected)
    {
        var buffer = new ReadOnlySequence<byte>(Convert.FromHexString(header));
        Assert.Equal(GatewayFrameResult.Malformed, GatewayFrameReader.TryRead(ref buffer, out _, out _, out var status));
        Assert.Equal(expected, status);
    }

    [Fact]
    public void TryRead_MaxRecordsFrame_Accepted_SignedLengthUsed()
    {
        var header = new ReadOnlySequence<byte>(Convert.FromHexString("504801011000")); // signed, 4096 records
        Assert.Equal(GatewayFrameResult.NeedMore, GatewayFrameReader.TryRead(ref header, out _, out int count, out var status));
        Assert.Equal(4096, count);
        Assert.Equal(FrameStatus.Ok, status);
    }

    [Theory]
    [InlineData(1, FrameStatus.TooShort)]
    [InlineData(5, FrameStatus.TooShort)]
    [InlineData(6, FrameStatus.LengthMismatch)]
    [InlineData(30, FrameStatus.LengthMismatch)]
    public void TruncatedStatus_ByLeftover(long leftover, FrameStatus expected) =>
        Assert.Equal(expected, GatewayFrameReader.TruncatedStatus(leftover));
}
