namespace Presence.Ingest.Internal.Flush;

/// <summary>
/// The order in which a flush that cannot be written at once (more users pending than one chunk:
/// a backlog after an outage, or a store slower than the load) writes its users: the ones whose
/// key expires soonest first, so the store's capacity goes where a missed write would show a user
/// offline who is not. A user's urgency is the time its key was last written (it expires ttl after
/// that), or, for a user with no key written yet, the receive time of its pending record. Pure
/// functions: urgencies bucketed by 100 ms over the ttl before now, then the writes permuted in
/// place by bucket, O(users), no comparison sort of millions and no second copy of them.
/// </summary>
/// <remarks>
/// In place because a copy cost more than the sort: the flush's buffers are allocated when the pending
/// set outgrows them, and at a cold start's burst (a pending set that more than doubles at each flush)
/// touching their new memory was most of a flush's start while the store waited for its first chunk
/// (docs/PERFORMANCE.md, "What a flush's start spends its time on"). Bucketed this way a flush touches
/// 2 bytes a user beside the snapshot's 24, where a counting sort into a scratch copy by 8-byte
/// urgencies touched 32.
/// </remarks>
internal static class FlushOrder
{
    /// <summary>Bucket width: finer would not change which users make it in a flush of seconds.</summary>
    public const long BucketMs = 100;

    /// <summary>At most this many buckets, so a user's bucket fits in 16 bits (a day-long ttl at 100 ms would be 864,001).</summary>
    public const int MaxBuckets = 1 << 16;

    /// <summary>
    /// <see cref="BucketMs"/>, doubled until there are no more buckets than users (a day-long ttl at
    /// 100 ms would be 864,000 buckets for a handful of users) nor more than <see cref="MaxBuckets"/>.
    /// </summary>
    public static long BucketWidth(long range, int count)
    {
        long width = BucketMs;
        while (range / width + 1 > Math.Min(Math.Max(count, 16), MaxBuckets))
            width *= 2;
        return width;
    }

    /// <summary>How many buckets <see cref="Bucket"/> uses for <paramref name="range"/> at <paramref name="width"/>.</summary>
    public static int Buckets(long range, long width) => (int)(range / width) + 1;

    /// <summary>
    /// The bucket of <paramref name="urgency"/> among those from <paramref name="oldest"/> to <paramref name="oldest"/> +
    /// <paramref name="range"/>: earlier (a key that has lapsed already) is the first, later (a clock step) the last.
    /// </summary>
    public static ushort Bucket(long urgency, long oldest, long range, long width) =>
        (ushort)((Math.Clamp(urgency, oldest, oldest + range) - oldest) / width);

    /// <summary>
    /// Reorders <paramref name="writes"/>[..count] by ascending <paramref name="bucket"/>[i] (same index, permuted with
    /// them), each below <paramref name="buckets"/>: an American flag sort, in place. Not stable within a bucket: its
    /// users are equally urgent.
    /// </summary>
    public static void ByBucket(PendingWrite[] writes, ushort[] bucket, int count, int buckets)
    {
        if (count < 2)
            return;
        var next = new int[buckets]; // each bucket's next place to fill
        var end = new int[buckets];
        for (int i = 0; i < count; i++)
            end[bucket[i]]++;
        for (int b = 0, start = 0; b < buckets; b++)
        {
            next[b] = start;
            start += end[b];
            end[b] = start;
        }
        for (int b = 0; b < buckets; b++)
        {
            while (next[b] < end[b])
            {
                int i = next[b];
                int k = bucket[i];
                if (k == b)
                {
                    next[b]++;
                    continue;
                }
                int j = next[k]++; // i's write goes to its bucket; the write there comes to i, to be placed in turn
                (writes[i], writes[j]) = (writes[j], writes[i]);
                (bucket[i], bucket[j]) = (bucket[j], bucket[i]);
            }
        }
    }
}
