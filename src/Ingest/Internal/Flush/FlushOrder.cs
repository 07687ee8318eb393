namespace Presence.Ingest.Internal.Flush;

/// <summary>
/// The order in which a flush that cannot be written at once (more users pending than one chunk:
/// a backlog after an outage, or a store slower than the load) writes its users: the ones whose
/// key expires soonest first, so the store's capacity goes where a missed write would show a user
/// offline who is not. A user's urgency is the time its key was last written (it expires ttl after
/// that), or, for a user with no key written yet, the receive time of its pending record. A pure
/// function: a stable counting sort on 100 ms buckets, O(users), no comparison sort of millions.
/// </summary>
internal static class FlushOrder
{
    /// <summary>Bucket width: finer would not change which users make it in a flush of seconds.</summary>
    public const long BucketMs = 100;

    /// <summary>
    /// <see cref="BucketMs"/>, doubled until there are no more buckets than users (a day-long ttl at
    /// 100 ms would be 864,000 buckets for a handful of users).
    /// </summary>
    public static long BucketWidth(long range, int count)
    {
        long width = BucketMs;
        while (range / width + 1 > Math.Max(count, 16))
            width *= 2;
        return width;
    }

    /// <summary>
    /// Reorders <paramref name="writes"/>[..count] by ascending <paramref name="urgency"/>[i] (same
    /// index), stably within a bucket, using <paramref name="scratch"/> (grown when too small).
    /// </summary>
    public static void ByUrgency(PendingWrite[] writes, long[] urgency, int count, ref PendingWrite[] scratch)
    {
        if (count < 2)
            return;
        long min = long.MaxValue, max = long.MinValue;
        for (int i = 0; i < count; i++)
        {
            min = Math.Min(min, urgency[i]);
            max = Math.Max(max, urgency[i]);
        }
        long width = BucketWidth(max - min, count);
        int buckets = (int)((max - min) / width) + 1;
        var starts = new int[buckets + 1];
        for (int i = 0; i < count; i++)
            starts[(int)((urgency[i] - min) / width) + 1]++;
        for (int b = 0; b < buckets; b++)
            starts[b + 1] += starts[b];
        if (scratch.Length < count)
            scratch = new PendingWrite[writes.Length];
        for (int i = 0; i < count; i++)
            scratch[starts[(int)((urgency[i] - min) / width)]++] = writes[i];
        Array.Copy(scratch, writes, count);
    }
}
