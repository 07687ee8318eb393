using System.Text;
using Presence.Bench.Events;

namespace Presence.Unit.Tests.Bench;

/// <summary>
/// The events benchmark's own client pieces: what it measures is only as good as its reading of
/// the stream (chunked coding, SSE lines) and of the node's histograms.
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
    public void SseParser_EventsCommentsAndLinesSplitAnywhere_DispatchedOnBlankLines()
    {
        const string stream = "retry: 1000\n\nevent: snapshot\nid: ab12-7\ndata: {\"users\":[]}\n\n: keepalive\n\n"
            + "event: offline\nid: ab12-8\ndata: {\"id\":\"42\",\"at\":5,\"reason\":\"timeout\"}\r\n\r\n";
        byte[] bytes = Encoding.ASCII.GetBytes(stream);
        for (int cut = 0; cut <= bytes.Length; cut++)
        {
            var sink = new RecordingSink();
            var parser = new SseParser(sink);
            parser.Feed(bytes.AsSpan(0, cut));
            parser.Feed(bytes.AsSpan(cut));
            Assert.Equal(["snapshot|ab12-7|{\"users\":[]}", "offline|ab12-8|{\"id\":\"42\",\"at\":5,\"reason\":\"timeout\"}"], sink.Events);
            Assert.Equal(1, sink.Comments);
        }
    }

    [Fact]
    public void SseParser_DataOnSeveralLines_JoinedByNewline_IdKeptForTheNextEvent()
    {
        var sink = new RecordingSink();
        var parser = new SseParser(sink);
        parser.Feed("id: e-1\ndata: a\ndata: b\n\nevent: online\ndata: c\n\n"u8);
        Assert.Equal(["|e-1|a\nb", "online|e-1|c"], sink.Events);
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

    private sealed class RecordingSink : ISseSink
    {
        public List<string> Events { get; } = [];

        public int Comments { get; private set; }

        public void OnEvent(ReadOnlySpan<byte> type, ReadOnlySpan<byte> id, ReadOnlySpan<byte> data) =>
            Events.Add($"{Encoding.ASCII.GetString(type)}|{Encoding.ASCII.GetString(id)}|{Encoding.ASCII.GetString(data)}");

        public void OnComment() => Comments++;
    }
}
