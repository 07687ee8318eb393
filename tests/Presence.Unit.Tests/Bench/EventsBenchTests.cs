using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text;
using Presence.Bench.Events;

namespace Presence.Unit.Tests.Bench;

/// <summary>
/// The events benchmark's own client pieces: what it measures is only as good as its reading of
/// the stream (chunked coding, the body as the SSE parser reads it) and of the node's histograms.
/// </summary>
public sealed class EventsBenchTests
{
    [Fact]
    public void ChunkedDecoder_ChunksSplitAnywhere_GivesTheBodyAndSeesTheEnd()
    {
        byte[] wire = Encoding.ASCII.GetBytes("5\r\nhello\r\n7;ext=1\r\n, world\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n");
        for (int cut = 1; cut < wire.Length; cut++)
        {
            var decoder = new ChunkedDecoder();
            var body = new List<byte>();
            foreach (var part in new[] { wire[..cut], wire[cut..] })
            {
                var copy = (byte[])part.Clone();
                int n = decoder.DecodeInPlace(copy);
                body.AddRange(copy.AsSpan(0, n));
            }
            Assert.Equal("hello, worldabcdefghijklmnopqrstuvwxyz", Encoding.ASCII.GetString([.. body]));
            Assert.True(decoder.Ended, $"cut at {cut}");
        }
    }

    [Fact]
    public void ChunkedDecoder_BadSize_Throws()
    {
        var decoder = new ChunkedDecoder();
        Assert.Throws<InvalidDataException>(() => decoder.DecodeInPlace(Encoding.ASCII.GetBytes("zz\r\n")));
    }

    [Fact]
    public async Task ResponseBodyStream_ChunkedStreamSplitAnywhere_ParserGetsEachEventWithItsId_CommentsCounted()
    {
        const string stream = "retry: 1000\n\nevent: snapshot\nid: ab12-7\ndata: {\"users\":[]}\n\n: keepalive\n\n"
            + "event: offline\nid: ab12-8\ndata: {\"id\":\"42\",\"at\":5,\"reason\":\"timeout\"}\r\n\r\n"
            + "event: online\ndata: {\"id\":\"42\",\"at\":6}\nid: ab12-9\n\n:\n\n";
        byte[] wire = Chunked(stream, 17);
        for (int cut = 0; cut <= wire.Length; cut++)
        {
            // The bytes up to the cut came with the headers; the rest from the connection.
            var body = new ResponseBodyStream(new MemoryStream(wire[cut..]), wire[..cut], chunked: true, headReceivedMs: 0);

            var events = await Parse(body);

            Assert.Equal(["snapshot|ab12-7|{\"users\":[]}", "offline|ab12-8|{\"id\":\"42\",\"at\":5,\"reason\":\"timeout\"}",
                "online|ab12-9|{\"id\":\"42\",\"at\":6}"], events);
            Assert.Equal(2, body.Comments);
            Assert.True(body.Ended, $"cut at {cut}");
        }
    }

    [Fact]
    public async Task ResponseBodyStream_NotChunked_DataOnSeveralLines_JoinedByNewline_IdKeptForTheNextEvent()
    {
        var body = new ResponseBodyStream(new MemoryStream("a\n\nevent: online\ndata: c\n\n"u8.ToArray()), "id: e-1\ndata: a\ndata: b\n\ndata: "u8.ToArray(),
            chunked: false, headReceivedMs: 0);

        var events = await Parse(body);

        Assert.Equal(["message|e-1|a\nb", "message|e-1|a", "online|e-1|c"], events);
        Assert.Equal(0, body.Comments);
        Assert.True(body.Ended);
    }

    [Fact]
    public async Task ResponseBodyStream_ConnectionClosedBeforeTheLastChunk_Ends()
    {
        var body = new ResponseBodyStream(new MemoryStream(Chunked("data: 1\n\n", 4)[..^5]), [], chunked: true, headReceivedMs: 0);

        var events = await Parse(body);

        Assert.Equal(["message||1"], events);
        Assert.True(body.Ended);
    }

    /// <summary>What EventSubscriber sees: type, the parser's last event id and the data, inside the item parser.</summary>
    private static async Task<List<string>> Parse(ResponseBodyStream body)
    {
        SseParser<string>? parser = null;
        parser = SseParser.Create(body, (type, data) => $"{type}|{parser!.LastEventId}|{Encoding.UTF8.GetString(data)}");
        var events = new List<string>();
        await foreach (var item in parser.EnumerateAsync())
            events.Add(item.Data);
        return events;
    }

    private static byte[] Chunked(string text, int size)
    {
        var wire = new StringBuilder();
        for (int i = 0; i < text.Length; i += size)
        {
            string part = text.Substring(i, Math.Min(size, text.Length - i));
            wire.Append(CultureInfo.InvariantCulture, $"{part.Length:x};ext=1\r\n{part}\r\n");
        }
        wire.Append("0\r\n\r\n");
        return Encoding.ASCII.GetBytes(wire.ToString());
    }

    [Fact]
    public void HistogramCounts_QuantileAndMax_AsPrometheusEstimatesThem()
    {
        double[] bounds = [0.1, 0.2, 0.5, double.PositiveInfinity];
        var before = new HistogramCounts(bounds, [10, 10, 10, 10], 1);
        var after = new HistogramCounts(bounds, [10, 60, 110, 110], 31);

        var window = after.Minus(before); // 50 in (0.1, 0.2], 50 in (0.2, 0.5]
        Assert.Equal(100, window.Count);
        Assert.Equal(0.2, window.Quantile(0.5), 9);
        Assert.Equal(0.1 + 0.1 * 25 / 50, window.Quantile(0.25), 9);
        Assert.Equal(0.2 + 0.3 * 49 / 50, window.Quantile(0.99), 9);
        Assert.Equal(0.5, window.MaxBound());
        Assert.True(double.IsNaN(before.Minus(before).Quantile(0.5)));
        // Past the last finite bound: the quantile is that bound, the maximum unbounded.
        var over = new HistogramCounts(bounds, [0, 0, 0, 4], 40);
        Assert.Equal(0.5, over.Quantile(0.99));
        Assert.Equal(double.PositiveInfinity, over.MaxBound());
    }

    [Theory]
    [InlineData(1_000, 10, 100)]  // every user watched once
    [InlineData(1_000, 25, 100)]  // 2.5 rounds: each user watched two or three times
    [InlineData(997, 7, 13)]      // blocks that wrap round the users
    public void WatchLayout_SubscribersOf_IsExactlyWhoWatches(int users, int subscribers, int watch)
    {
        var layout = new WatchLayout(users, 1, watch, subscribers);
        var watchers = new Dictionary<ulong, List<int>>();
        for (int s = 0; s < subscribers; s++)
        {
            var ids = layout.PathOf(s)["/v1/presence/events?ids=".Length..].Split(',').Select(ulong.Parse).ToArray();
            Assert.Equal(watch, ids.Length);
            for (int k = 0; k < watch; k++)
            {
                Assert.Equal(layout.IdAt(s, k), ids[k]);
                Assert.Equal(k, layout.PositionOf(s, ids[k]));
                (watchers.TryGetValue(ids[k], out var list) ? list : watchers[ids[k]] = []).Add(s);
            }
        }
        for (ulong id = 1; id <= (ulong)users; id++)
        {
            var expected = watchers.TryGetValue(id, out var list) ? list : [];
            Assert.Equal(expected, layout.SubscribersOf(id));
            for (int s = 0; s < subscribers; s++)
                Assert.Equal(expected.Contains(s), layout.PositionOf(s, id) >= 0);
        }
        Assert.Empty(layout.SubscribersOf(0));
        Assert.Empty(layout.SubscribersOf((ulong)users + 1));
    }
}
