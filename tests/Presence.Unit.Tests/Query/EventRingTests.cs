using Presence.Core.Events;
using Presence.Query.Internal.Events;

namespace Presence.Unit.Tests.Query;

public sealed class EventRingTests
{
    [Fact]
    public void ALine_Costs48Bytes_AsTheDocsSay() // --events-buffer's help, OPTIONS.md, EVENTS.md, REDIS.md
        => Assert.Equal(48, System.Runtime.CompilerServices.Unsafe.SizeOf<StreamItem>());

    [Fact]
    public void New_HoldsNothing_CoversOnlyTheStart()
    {
        var ring = new EventRing(4);
        Assert.Equal(0, ring.Count);
        Assert.Equal(0, ring.LastSeq);
        Assert.True(ring.Covers(0));
        Assert.False(ring.Covers(1));
        Assert.False(ring.Covers(-1));
    }

    [Fact]
    public void Append_BelowCapacity_CoversEveryPositionAndCollectsInOrder()
    {
        var ring = new EventRing(8);
        AppendUpTo(ring, 5);
        Assert.Equal(5, ring.Count);
        Assert.Equal(5, ring.LastSeq);
        for (long after = 0; after <= 5; after++)
            Assert.True(ring.Covers(after));
        Assert.False(ring.Covers(6));

        var into = new List<StreamItem>();
        ring.Collect(1, [2, 4], into);
        Assert.Equal([Line(2), Line(4)], into.Select(i => i.Line));
    }

    [Fact]
    public void Append_PastCapacity_OldestLinesMakeRoom()
    {
        var ring = new EventRing(4);
        AppendUpTo(ring, 10);
        Assert.Equal(4, ring.Count);
        Assert.Equal(10, ring.LastSeq);
        Assert.False(ring.Covers(5)); // line 6 is gone
        Assert.True(ring.Covers(6));
        Assert.True(ring.Covers(10));
        Assert.False(ring.Covers(11));

        var into = new List<StreamItem>();
        ring.Collect(6, [.. Enumerable.Range(1, 10).Select(i => (ulong)i)], into);
        Assert.Equal([Line(7), Line(8), Line(9), Line(10)], into.Select(i => i.Line));
        into.Clear();
        ring.Collect(10, [10], into);
        Assert.Empty(into);
    }

    [Fact]
    public void Collect_IdsAbove2To63_FoundBySortedUnsignedOrder()
    {
        var ring = new EventRing(8);
        ulong[] users = [ulong.MaxValue, 1UL << 63, 5];
        for (int i = 0; i < users.Length; i++)
            ring.Append(new EventLogLine(i + 1, TransitionKind.Online, users[i], 100 + i));
        var into = new List<StreamItem>();
        ring.Collect(0, [5, ulong.MaxValue], into); // sorted as unsigned
        Assert.Equal([ulong.MaxValue, 5UL], into.Select(i => i.Line.UserId));
    }

    [Fact]
    public void Reset_EmptiesAndExpectsTheNextLine()
    {
        var ring = new EventRing(4);
        AppendUpTo(ring, 3);
        ring.Reset(100);
        Assert.Equal(0, ring.Count);
        Assert.Equal(100, ring.LastSeq);
        Assert.True(ring.Covers(100));
        Assert.False(ring.Covers(99));
        Assert.False(ring.Covers(3));

        ring.Append(Line(101));
        var into = new List<StreamItem>();
        ring.Collect(100, [101], into);
        Assert.Equal([Line(101)], into.Select(i => i.Line));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(7, 2)]
    [InlineData(16, 3)]
    public void AppendAndReset_MatchAListModel(int capacity, int seed)
    {
        var random = new Random(seed);
        var ring = new EventRing(capacity);
        var lines = new List<EventLogLine>(); // every line since the last reset
        long first = 1; // the first sequence number after the last reset
        long next = 1;
        for (int op = 0; op < 3_000; op++)
        {
            if (random.Next(50) == 0)
            {
                next += random.Next(0, 100);
                ring.Reset(next - 1);
                lines.Clear();
                first = next;
            }
            else
            {
                var line = new EventLogLine(next++, (TransitionKind)random.Next(3), (ulong)random.Next(1, 10), random.NextInt64(0, long.MaxValue));
                ring.Append(line);
                lines.Add(line);
            }
            long oldest = Math.Max(first, next - capacity); // the oldest line the ring holds
            Assert.Equal(next - oldest, ring.Count);
            long after = next - 1 - random.Next(0, capacity + 3);
            bool covers = after >= oldest - 1 && after <= next - 1;
            Assert.Equal(covers, ring.Covers(after));
            if (covers)
            {
                ulong[] ids = [.. Enumerable.Range(1, 9).Where(_ => random.Next(2) == 0).Select(i => (ulong)i)];
                var into = new List<StreamItem>();
                ring.Collect(after, ids, into);
                Assert.Equal(lines.Where(l => l.Seq > after && ids.Contains(l.UserId)), into.Select(i => i.Line));
            }
        }
    }

    private static EventLogLine Line(long seq) => new(seq, seq % 2 == 0 ? TransitionKind.Timeout : TransitionKind.Online, (ulong)seq, 1_750_000_000_000 + seq);

    private static void AppendUpTo(EventRing ring, long last)
    {
        for (long seq = ring.LastSeq + 1; seq <= last; seq++)
            ring.Append(Line(seq));
    }
}
