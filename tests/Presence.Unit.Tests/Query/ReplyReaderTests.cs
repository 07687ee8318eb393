using System.Buffers;
using System.Text;
using CsCheck;
using Presence.Query.Internal.Store;
using StackExchange.Redis;

namespace Presence.Unit.Tests.Query;

public sealed class ReplyReaderTests
{
    private const string Replies =
        "*4\r\n$13\r\n1764270000123\r\n$-1\r\n$3\r\nabc\r\n$30\r\n123456789012345678901234567890\r\n" +
        "$2\r\n42\r\n" +
        "$-1\r\n" +
        "+PONG\r\n" +
        "-ERR wrong number of arguments\r\n" +
        "*0\r\n" +
        "*4\r\n$13\r\n1764270000123\r\n:1764269000\r\n$-1\r\n$2\r\n-5\r\n"; // the presence script's: online, a last seen, nothing, a key holding a negative number

    private static readonly (ReplyEvent Event, string Detail)[] s_expected =
    [
        (ReplyEvent.Values, $"1764270000123,{PresenceStore.Offline},{PresenceStore.UnknownTime},{PresenceStore.UnknownTime}"),
        (ReplyEvent.Values, "42"),
        (ReplyEvent.Values, $"{PresenceStore.Offline}"),
        (ReplyEvent.Status, "PONG"),
        (ReplyEvent.Error, "ERR wrong number of arguments"),
        (ReplyEvent.Values, ""),
        (ReplyEvent.Values, $"1764270000123,{Presence.Core.LastSeen.LastSeenTime.EncodeOffline(1_764_269_000_000)},{PresenceStore.Offline},{PresenceStore.UnknownTime}"),
    ];

    [Fact]
    public void Read_WholeStream_EveryReplyInOrder() =>
        Assert.Equal(s_expected, ReadAll(new ReplyReader(), [Encoding.ASCII.GetBytes(Replies)]));

    // Replies arrive cut anywhere by the network: the reader must give the same replies whatever the cuts.
    [Fact]
    public void Read_CutAnywhere_SameReplies()
    {
        var bytes = Encoding.ASCII.GetBytes(Replies);
        Gen.Int[1, bytes.Length - 1].Array[0, 8].Sample(cuts =>
        {
            var points = cuts.Distinct().Order().ToArray();
            var chunks = new List<byte[]>();
            int from = 0;
            foreach (var point in points.Append(bytes.Length))
            {
                chunks.Add(bytes[from..point]);
                from = point;
            }
            Assert.Equal(s_expected, ReadAll(new ReplyReader(), chunks));
        });
    }

    [Theory]
    [InlineData(":1\r\n")]
    [InlineData("*2\r\n+OK\r\n+OK\r\n")]
    [InlineData("$x\r\n")]
    [InlineData("$3\r\nabcde\r\n")]
    [InlineData("*1\n")]
    public void Read_NotAReadReply_Throws(string reply) =>
        Assert.Throws<InvalidDataException>(() => new ReplyReader().Read(Encoding.ASCII.GetBytes(reply), out _));

    // A stored value means the same lastSeenMs as it did through StackExchange.Redis' RedisValue.TryParse (a negative one: no time).
    [Fact]
    public void ParseValue_AnyShortValue_SameAsStackExchangeRedis()
    {
        var symbols = Gen.OneOf<byte>((byte)'0', (byte)'1', (byte)'9', (byte)'-', (byte)'+', (byte)' ', (byte)'.', (byte)'e', (byte)'a');
        symbols.Array[0, 21].Sample(value =>
        {
            long expected = ((RedisValue)value).TryParse(out long ms) && ms >= 0 ? ms : PresenceStore.UnknownTime;
            Assert.Equal(expected, ReplyReader.ParseValue(value));
        });
        Assert.Equal(9223372036854775807L, ReplyReader.ParseValue("9223372036854775807"u8));
        Assert.Equal(PresenceStore.UnknownTime, ReplyReader.ParseValue("9223372036854775808"u8));
    }

    [Fact]
    public void WriteGet_OneAndSeveralIds_GetAndMget()
    {
        var output = new ArrayBufferWriter<byte>();
        RespCommand.WriteGet(output, "p:"u8, [42]);
        RespCommand.WriteGet(output, "p:"u8, [7, 18446744073709551615]);

        Assert.Equal(
            "*2\r\n$3\r\nGET\r\n$4\r\np:42\r\n" +
            "*3\r\n$4\r\nMGET\r\n$3\r\np:7\r\n$22\r\np:18446744073709551615\r\n",
            Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void WritePresenceScript_EvalshaThenKeysThenBucketsThenFields()
    {
        var output = new ArrayBufferWriter<byte>();
        RespCommand.WritePresenceScript(output, "abc"u8, "p:"u8, "p:seen:"u8, [7, 42]);

        string b7 = Presence.Core.LastSeen.LastSeenKeys.Bucket(7).ToString(System.Globalization.CultureInfo.InvariantCulture);
        string b42 = Presence.Core.LastSeen.LastSeenKeys.Bucket(42).ToString(System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(
            "*9\r\n$7\r\nEVALSHA\r\n$3\r\nabc\r\n$1\r\n4\r\n$3\r\np:7\r\n$4\r\np:42\r\n" +
            $"${7 + b7.Length}\r\np:seen:{b7}\r\n${7 + b42.Length}\r\np:seen:{b42}\r\n$1\r\n7\r\n$2\r\n42\r\n",
            Encoding.ASCII.GetString(output.WrittenSpan));
        Assert.Equal(new Presence.Core.LastSeen.LastSeenKeys("p:").KeyOf(42), $"p:seen:{b42}"); // the buckets the ingest writes
    }

    private static List<(ReplyEvent, string)> ReadAll(ReplyReader reader, IEnumerable<byte[]> chunks)
    {
        var replies = new List<(ReplyEvent, string)>();
        var pending = Array.Empty<byte>();
        foreach (var chunk in chunks)
        {
            pending = [.. pending, .. chunk];
            int start = 0;
            while (true)
            {
                var reply = reader.Read(pending.AsSpan(start), out int used);
                start += used;
                if (reply == ReplyEvent.NeedMore)
                    break;
                replies.Add((reply, reply == ReplyEvent.Values ? string.Join(',', reader.Values.ToArray()) : reader.Text));
            }
            pending = pending[start..];
        }
        Assert.Empty(pending);
        return replies;
    }
}
