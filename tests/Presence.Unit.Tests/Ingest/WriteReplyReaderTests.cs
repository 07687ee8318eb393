using System.Text;
using Presence.Ingest.Internal.Store;

namespace Presence.Unit.Tests.Ingest;

/// <summary>The direct writer's reply reader: every reply kind, cut anywhere between receives, and the stream refused when it cannot be a write's reply.</summary>
public sealed class WriteReplyReaderTests
{
    private static readonly string s_long = new('x', 100);

    private static readonly string s_replies =
        "+OK\r\n" + "$-1\r\n" + ":1\r\n" + ":0\r\n" + "$13\r\n1733480000000\r\n" + "-WRONGTYPE Operation against a key\r\n" +
        $"${s_long.Length}\r\n{s_long}\r\n" + "$3\r\nabc\r\n" + "$0\r\n\r\n" + "+OK\r\n";

    private static readonly (WriteReply Reply, long Value)[] s_expected =
    [
        (WriteReply.Status, 0), (WriteReply.Nil, 0), (WriteReply.Integer, 1), (WriteReply.Integer, 0), (WriteReply.Number, 1733480000000),
        (WriteReply.Error, 0), (WriteReply.Text, 0), (WriteReply.Text, 0), (WriteReply.Text, 0), (WriteReply.Status, 0),
    ];

    /// <summary>Feeds <paramref name="parts"/> as successive receives into a buffer, as the writer does, and collects the replies.</summary>
    private static List<(WriteReply, long)> ReadAll(WriteReplyReader reader, params byte[][] parts)
    {
        var replies = new List<(WriteReply, long)>();
        var buffer = new List<byte>();
        foreach (var part in parts)
        {
            buffer.AddRange(part);
            while (true)
            {
                var reply = reader.Read(buffer.ToArray(), out int used, out long value);
                buffer.RemoveRange(0, used);
                if (reply == WriteReply.NeedMore)
                    break;
                replies.Add((reply, value));
            }
        }
        Assert.Empty(buffer);
        return replies;
    }

    [Fact]
    public void Read_EveryKind_InOneReceive()
    {
        var reader = new WriteReplyReader();

        Assert.Equal(s_expected, ReadAll(reader, Encoding.ASCII.GetBytes(s_replies)));
        Assert.Equal("WRONGTYPE Operation against a key", reader.ErrorText);
    }

    [Fact]
    public void Read_CutAtEveryByte_SameReplies()
    {
        var bytes = Encoding.ASCII.GetBytes(s_replies);
        for (int cut = 1; cut < bytes.Length; cut++)
            Assert.Equal(s_expected, ReadAll(new WriteReplyReader(), bytes[..cut], bytes[cut..]));
    }

    [Fact]
    public void Read_OneByteAtATime_SameReplies()
    {
        var bytes = Encoding.ASCII.GetBytes(s_replies);
        Assert.Equal(s_expected, ReadAll(new WriteReplyReader(), [.. bytes.Select(b => new[] { b })]));
    }

    [Fact]
    public void Reset_ForgetsALongValueReadInPart()
    {
        var reader = new WriteReplyReader();
        Assert.Equal(WriteReply.NeedMore, reader.Read(Encoding.ASCII.GetBytes("$100\r\nxxxx"), out int used, out _));
        Assert.Equal(10, used); // the header and what there was of the value, skipped

        reader.Reset();

        Assert.Equal(WriteReply.Status, reader.Read("+OK\r\n"u8, out used, out _));
        Assert.Equal(5, used);
    }

    [Theory]
    [InlineData("*2\r\n$1\r\na\r\n$1\r\nb\r\n")] // an array: no write is answered so
    [InlineData("+OK\n")] // no CR
    [InlineData(":x\r\n")] // not a number
    [InlineData("$-2\r\n")] // not a length
    [InlineData("$3\r\nabcXY")] // no CRLF after the value
    [InlineData("hello\r\n")] // not RESP
    public void Read_NotAWritesReply_Throws(string data)
    {
        var reader = new WriteReplyReader();
        Assert.Throws<InvalidDataException>(() => reader.Read(Encoding.ASCII.GetBytes(data), out _, out _));
    }

    [Fact]
    public void Read_LineLongerThanTheLimit_WithoutAnEnd_Throws()
    {
        var reader = new WriteReplyReader();
        var data = Encoding.ASCII.GetBytes("-" + new string('e', WriteReplyReader.MaxLine + 1));
        Assert.Throws<InvalidDataException>(() => reader.Read(data, out _, out _));
    }
}
