using Presence.Core.LastSeen;

namespace Presence.Unit.Tests.LastSeen;

public sealed class LastSeenKeysTests
{
    [Fact]
    public void KeyOf_IsThePrefixSeenAndTheBucket()
    {
        var keys = new LastSeenKeys("presence:");
        Assert.Equal($"presence:seen:{LastSeenKeys.Bucket(42)}", keys.KeyOf(42));
        Assert.DoesNotContain('{', keys.KeyOf(42)); // no hash tag: buckets spread over a cluster's slots
    }

    [Fact]
    public void Bucket_IsInRange_ForExtremeIds()
    {
        foreach (ulong id in new ulong[] { 0, 1, ulong.MaxValue, ulong.MaxValue - 1, 1UL << 63 })
            Assert.InRange(LastSeenKeys.Bucket(id), 0, LastSeenKeys.Buckets - 1);
    }

    [Theory]
    [InlineData(1UL)]                 // sequential ids
    [InlineData(16_384UL)]            // a stride equal to the bucket count (id mod buckets would put all in one)
    [InlineData(1UL << 24)]           // ids differing only in high bits (MAC-derived, site-prefixed)
    public void Bucket_IdsWithACommonStride_FillTheBucketsEvenly(ulong stride)
    {
        var counts = new int[LastSeenKeys.Buckets];
        for (ulong i = 0; i < 1_000_000; i++)
            counts[LastSeenKeys.Bucket(1 + (i * stride))]++;
        // 1M over 16,384 buckets is ~61 a bucket; Redis keeps a hash compact up to 128 entries.
        Assert.True(counts.Max() < 128, $"fullest bucket {counts.Max()} for stride {stride}");
        Assert.True(counts.Count(c => c == 0) < LastSeenKeys.Buckets / 100, $"{counts.Count(c => c == 0)} empty buckets for stride {stride}");
    }

    [Fact]
    public void BucketKey_OutOfRange_Throws()
    {
        var keys = new LastSeenKeys("p:");
        Assert.Throws<ArgumentOutOfRangeException>(() => keys.BucketKey(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => keys.BucketKey(LastSeenKeys.Buckets));
    }
}
