using Presence.Ingest.Internal.Flush;


namespace Presence.Unit.Tests.Ingest;

public sealed class FlushOrderTests
{
    [Fact]
    public void ByBucket_RandomBuckets_AscendingByBucket_EachWriteKeepsItsBucket_SameUsers()
    {
        var random = new Random(7);
        foreach (int count in new[] { 2, 3, 100, 10_000 })
        {
            foreach (int buckets in new[] { 1, 2, 301, FlushOrder.MaxBuckets })
            {
                var writes = Enumerable.Range(1, count).Select(i => new PendingWrite((ulong)i, i, Presence.Core.RecordKind.Heartbeat, 1000)).ToArray();
                var bucket = Enumerable.Range(0, count).Select(_ => (ushort)random.Next(buckets)).ToArray();
                var bucketOf = writes.Zip(bucket).ToDictionary(p => p.First.UserId, p => p.Second);

                FlushOrder.ByBucket(writes, bucket, count, buckets);

                Assert.Equal(bucket.Order(), bucket); // ascending
                Assert.All(Enumerable.Range(0, count), i => Assert.Equal(bucketOf[writes[i].UserId], bucket[i])); // permuted together
                Assert.Equal(Enumerable.Range(1, count).Select(i => (ulong)i), writes.Select(w => w.UserId).Order()); // none lost, none twice
            }
        }
    }

    [Fact]
    public void ByBucket_OnlyTheFirstCount_AreReordered()
    {
        var writes = new[] { W(1), W(2), W(3), W(4) };
        ushort[] bucket = [2, 1, 0, 0];

        FlushOrder.ByBucket(writes, bucket, 3, 3);

        Assert.Equal([3UL, 2UL, 1UL, 4UL], writes.Select(w => w.UserId));
    }

    [Fact]
    public void Bucket_OlderThanTheTtl_First_Later_Last_ByWidthBetween()
    {
        const long ttl = 30_000, now = 1_764_600_000_000, oldest = now - ttl;
        long width = FlushOrder.BucketWidth(ttl, 1_000_000);
        Assert.Equal(FlushOrder.BucketMs, width);
        Assert.Equal(301, FlushOrder.Buckets(ttl, width));

        Assert.Equal(0, FlushOrder.Bucket(oldest - 86_400_000, oldest, ttl, width)); // a key that lapsed long ago
        Assert.Equal(0, FlushOrder.Bucket(oldest + 99, oldest, ttl, width));
        Assert.Equal(1, FlushOrder.Bucket(oldest + 100, oldest, ttl, width));
        Assert.Equal(300, FlushOrder.Bucket(now, oldest, ttl, width));
        Assert.Equal(300, FlushOrder.Bucket(now + 5_000, oldest, ttl, width)); // a clock step
    }

    [Theory]
    [InlineData(86_400_000L, 4_000_000)] // a day-long ttl, millions pending: 864,001 buckets of 100 ms would not fit 16 bits
    [InlineData(86_400_000L, 3)]         // a handful of users
    [InlineData(30_000L, 20)]
    public void BucketWidth_NoMoreBucketsThanUsersNorSixteenBitsHold(long ttl, int count)
    {
        long width = FlushOrder.BucketWidth(ttl, count);

        int buckets = FlushOrder.Buckets(ttl, width);
        Assert.InRange(buckets, 1, Math.Min(Math.Max(count, 16), FlushOrder.MaxBuckets));
        Assert.InRange(FlushOrder.Bucket(long.MaxValue / 2, 0, ttl, width), 0, buckets - 1);
    }

    private static PendingWrite W(ulong user) => new(user, 0, Presence.Core.RecordKind.Heartbeat, 1000);
}
