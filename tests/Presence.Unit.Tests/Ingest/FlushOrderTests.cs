using Presence.Ingest.Internal.Flush;


namespace Presence.Unit.Tests.Ingest;

public sealed class FlushOrderTests
{
    [Fact]
    public void ByUrgency_RandomUrgencies_AscendingByBucket_StableWithin_SameUsers()
    {
        var random = new Random(7);
        foreach (int count in new[] { 2, 3, 100, 10_000 })
        {
            var writes = Enumerable.Range(1, count).Select(i => new PendingWrite((ulong)i, i, Presence.Core.RecordKind.Heartbeat, 1000)).ToArray();
            long baseMs = 1_764_600_000_000;
            var urgency = Enumerable.Range(0, count).Select(_ => baseMs + random.NextInt64(0, 30_000)).ToArray();
            long width = FlushOrder.BucketWidth(urgency.Max() - urgency.Min(), count);
            var expected = writes.Zip(urgency).OrderBy(p => (p.Second - urgency.Min()) / width).Select(p => p.First.UserId).ToArray(); // OrderBy is stable
            PendingWrite[] scratch = [];

            FlushOrder.ByUrgency(writes, urgency, count, ref scratch);

            Assert.Equal(expected, writes.Select(w => w.UserId));
        }
    }

    [Fact]
    public void ByUrgency_SpreadFarWiderThanUsers_BucketsWidenButOrderHolds()
    {
        var writes = new[] { W(1), W(2), W(3) };
        long[] urgency = [86_400_000L * 10, 5, 86_400_000L];
        PendingWrite[] scratch = [];

        FlushOrder.ByUrgency(writes, urgency, 3, ref scratch);

        Assert.Equal([2UL, 3UL, 1UL], writes.Select(w => w.UserId));
    }

    private static PendingWrite W(ulong user) => new(user, 0, Presence.Core.RecordKind.Heartbeat, 1000);
}
