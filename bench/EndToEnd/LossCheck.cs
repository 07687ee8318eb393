namespace Presence.Bench.EndToEnd;

/// <summary>
/// Each user's latest heartbeat against what the store holds after the receiver drained: a user
/// sent (its last send time known) whose key is missing, or holds a time older than that send by
/// more than the slack, lost its latest heartbeat. Both receivers store the time they received a
/// heartbeat, on the same clock the generator read just before sending it, so a delivered
/// heartbeat is stored at or after its send time however late it was written, and the previous
/// one (received an interval earlier) before it; the slack covers the ms rounding of both clocks
/// and the ingest's clock being the wall clock at its start plus a monotonic count (a slewing wall
/// clock drifts from it by a few ms a minute). A heartbeat lost leaves the previous one or nothing.
/// </summary>
internal sealed record LossCheck(long Users, long NotSent, long Fresh, long Stale, long Missing, long WithinSlack, long LateChecked,
    long OffsetMinMs, long OffsetMedianMs, long OffsetMaxMs)
{
    /// <param name="sentMs">Per user index, the Unix ms of its last send (0: never sent).</param>
    /// <param name="storedMs">Per user index, the stored time (−1: no key).</param>
    /// <param name="readAtMs">Per user index, when its key was read: a key missing then, for a user sent longer than the TTL (less 1 s) before, may have expired after a good write (counted in <see cref="LateChecked"/>, and still as missing).</param>
    public static LossCheck Compute(ReadOnlySpan<long> sentMs, ReadOnlySpan<long> storedMs, ReadOnlySpan<long> readAtMs, long slackMs, long ttlMs)
    {
        long users = 0, notSent = 0, fresh = 0, stale = 0, missing = 0, withinSlack = 0, late = 0;
        long min = long.MaxValue, max = long.MinValue;
        var offsets = new List<long>();
        for (int i = 0; i < sentMs.Length; i++)
        {
            long sent = sentMs[i];
            if (sent == 0)
            {
                notSent++;
                continue;
            }
            users++;
            long stored = storedMs[i];
            if (stored < 0)
            {
                missing++;
                if (readAtMs[i] - sent >= ttlMs - 1000)
                    late++;
            }
            else if (stored < sent - slackMs)
            {
                stale++;
            }
            else
            {
                fresh++;
                if (stored < sent)
                    withinSlack++;
                min = Math.Min(min, stored - sent);
                max = Math.Max(max, stored - sent);
                // A sample is enough for the median: every 64th user.
                if ((i & 63) == 0)
                    offsets.Add(stored - sent);
            }
        }
        offsets.Sort();
        return new LossCheck(users, notSent, fresh, stale, missing, withinSlack, late,
            fresh > 0 ? min : 0, offsets.Count > 0 ? offsets[offsets.Count / 2] : 0, fresh > 0 ? max : 0);
    }
}
