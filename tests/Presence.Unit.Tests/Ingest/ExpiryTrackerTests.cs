using Presence.Ingest.Internal.Transitions;


namespace Presence.Unit.Tests.Ingest;

public sealed class ExpiryTrackerTests
{
    private const long Start = 1_750_000_000_000; // Unix ms
    private const long Day = 86_400_000;

    /// <summary>
    /// Random operations checked against a Dictionary after each one. The ids include two runs
    /// whose hashes are consecutive (so they share a home slot at every table size), one of them
    /// at the table's end (probe runs wrap around), and enough ids that the table grows several times.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Operations_MatchADictionaryModel(int seed)
    {
        var random = new Random(seed);
        var ids = CollidingIds(ulong.MaxValue - 40, 40)
            .Concat(CollidingIds(0x8000_0000_0000_0000, 40))
            .Concat(Enumerable.Range(0, 400).Select(_ => (ulong)random.NextInt64(1, long.MaxValue)))
            .Distinct()
            .ToArray();
        var tracker = new ExpiryTracker(Start, capacity: 16);
        var model = new Dictionary<ulong, long>();
        var due = new List<TrackedUser>();
        long now = Start;

        for (int op = 0; op < 40_000; op++)
        {
            ulong id = ids[random.Next(ids.Length)];
            long at = now - random.Next(0, 5_000);
            now += random.Next(0, 3);
            switch (random.Next(10))
            {
                case < 4:
                    tracker.Set(id, at);
                    model[id] = model.TryGetValue(id, out long old) ? Math.Max(old, at) : at;
                    break;
                case 4:
                    Assert.Equal(model.TryAdd(id, at), tracker.TryAdd(id, at));
                    break;
                case < 8:
                    Assert.Equal(model.Remove(id), tracker.Remove(id));
                    break;
                case 8:
                    tracker.Prefetch(ids[random.Next(ids.Length)]); // a hint: changes nothing the model would see
                    Assert.Equal(model.TryGetValue(id, out long expected), tracker.TryGet(id, out long actual));
                    Assert.Equal(expected, actual);
                    break;
                default:
                    long threshold = now - random.Next(0, 6_000);
                    int max = random.Next(2) == 0 ? int.MaxValue : random.Next(1, 20);
                    due.Clear();
                    int added = tracker.CollectDue(threshold, due, max);
                    AssertDue(model, threshold, max, due, added);
                    break;
            }
            Assert.Equal(model.Count, tracker.Count);
            if (op % 1000 == 0)
                Assert.Equal(model.OrderBy(p => p.Key), tracker.All().Select(u => KeyValuePair.Create(u.UserId, u.WrittenMs)).OrderBy(p => p.Key));
        }
        foreach (var (id, written) in model)
        {
            Assert.True(tracker.TryGet(id, out long actual));
            Assert.Equal(written, actual);
        }
    }

    [Fact]
    public void CollectDue_ReturnsEveryUserAtOrBeforeTheThreshold_UpToMax_NoneOther()
    {
        var tracker = new ExpiryTracker(Start);
        for (ulong id = 1; id <= 100; id++)
            tracker.Set(id, Start + (long)id * 10);
        var due = new List<TrackedUser>();

        Assert.Equal(0, tracker.CollectDue(Start + 9, due, int.MaxValue));
        Assert.Equal(30, tracker.CollectDue(Start + 300, due, int.MaxValue));
        Assert.Equal(Enumerable.Range(1, 30).Select(i => (ulong)i), due.Select(u => u.UserId).Order());
        Assert.All(due, u => Assert.Equal(Start + (long)u.UserId * 10, u.WrittenMs));

        due.Clear();
        Assert.Equal(7, tracker.CollectDue(Start + 300, due, 7));
        Assert.Equal(7, due.Count);
        Assert.All(due, u => Assert.InRange(u.UserId, 1UL, 30UL));
        Assert.Equal(100, tracker.Count); // due users stay tracked until their check is resolved
    }

    [Fact]
    public void CollectDue_AddsToTheListWithoutClearingIt()
    {
        var tracker = new ExpiryTracker(Start);
        tracker.Set(5, Start);
        var due = new List<TrackedUser> { new(99, 1) };
        Assert.Equal(1, tracker.CollectDue(Start, due, 10));
        Assert.Equal([new TrackedUser(99, 1), new TrackedUser(5, Start)], due);
    }

    [Fact]
    public void CollectDue_SkipAfterAScan_NeverHidesAUserSetEarlierSince()
    {
        var tracker = new ExpiryTracker(Start);
        var due = new List<TrackedUser>();
        tracker.Set(1, Start + 2_000);
        Assert.Equal(0, tracker.CollectDue(Start + 1_500, due, 10)); // skipped: nothing is that early
        tracker.Set(2, Start + 5_000);
        Assert.Equal(0, tracker.CollectDue(Start + 1_999, due, 10));

        tracker.Set(3, Start + 1_000); // earlier than every time the last scan saw
        Assert.Equal(1, tracker.CollectDue(Start + 1_000, due, 10));
        Assert.Equal(new TrackedUser(3, Start + 1_000), Assert.Single(due));

        // Removing the earliest leaves a stale (lower) bound: a scan, never a miss.
        tracker.Remove(3);
        tracker.Remove(1);
        due.Clear();
        Assert.Equal(0, tracker.CollectDue(Start + 4_999, due, 10));
        tracker.Set(4, Start + 3_000);
        Assert.Equal(1, tracker.CollectDue(Start + 4_000, due, 10));
        Assert.Equal(4UL, Assert.Single(due).UserId);
    }

    [Fact]
    public void Set_OlderTimeForATrackedUser_KeepsTheNewer()
    {
        var tracker = new ExpiryTracker(Start);
        tracker.Set(1, Start + 500);
        tracker.Set(1, Start + 100);
        Assert.True(tracker.TryGet(1, out long written));
        Assert.Equal(Start + 500, written);
        Assert.Equal(0, tracker.CollectDue(Start + 499, new List<TrackedUser>(), 10));
    }

    [Fact]
    public void TryAdd_TrackedUser_LeavesItAlone()
    {
        var tracker = new ExpiryTracker(Start);
        Assert.True(tracker.TryAdd(1, Start - 1_000)); // an orphan adopted with an old time
        Assert.False(tracker.TryAdd(1, Start + 1_000));
        Assert.True(tracker.TryGet(1, out long written));
        Assert.Equal(Start - 1_000, written);
    }

    [Fact]
    public void Set_TimesMovingWeeksAhead_Rebases_RecentTimesExactAndOldOnesStillDue()
    {
        var tracker = new ExpiryTracker(Start);
        var model = new Dictionary<ulong, long>();
        long now = Start;
        ulong next = 1;
        var due = new List<TrackedUser>();
        // 60 days in 6-hour steps: the offsets (an int of ms after a base) pass 2^30 (~12.4 days) several times.
        for (int step = 0; step < 240; step++)
        {
            now += 6 * 3_600_000;
            for (int i = 0; i < 5; i++)
            {
                ulong id = next++;
                tracker.Set(id, now - i * 1_000);
                model[id] = now - i * 1_000;
            }
            foreach (var (id, written) in model)
            {
                Assert.True(tracker.TryGet(id, out long actual));
                if (written >= now - Day)
                    Assert.Equal(written, actual); // within a day of the newest: exact
                else
                    Assert.InRange(actual, written, now - Day); // older: may be clamped forward, still more than a day old
            }
            long threshold = now - 30_000; // ttl 30 s
            due.Clear();
            tracker.CollectDue(threshold, due, int.MaxValue);
            Assert.Equal(model.Where(p => p.Value <= threshold).Select(p => p.Key).Order(), due.Select(u => u.UserId).Order());
        }
        Assert.True(now - Start > 4 * (1L << 30));
    }

    [Fact]
    public void Set_ManyUsers_GrowsAndKeepsEveryOne()
    {
        var tracker = new ExpiryTracker(Start, capacity: 16);
        for (ulong id = 1; id <= 50_000; id++)
            tracker.Set(id * 0x9E3779B97F4A7C15UL | 1, Start + (long)(id % 1000));
        Assert.Equal(50_000, tracker.Count);
        for (ulong id = 1; id <= 50_000; id++)
        {
            Assert.True(tracker.TryGet(id * 0x9E3779B97F4A7C15UL | 1, out long written));
            Assert.Equal(Start + (long)(id % 1000), written);
        }
    }

    private static void AssertDue(Dictionary<ulong, long> model, long threshold, int max, List<TrackedUser> due, int added)
    {
        var expected = model.Where(p => p.Value <= threshold).ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(Math.Min(max, expected.Count), added);
        Assert.Equal(added, due.Count);
        Assert.Equal(due.Count, due.Select(u => u.UserId).Distinct().Count());
        foreach (var user in due)
        {
            Assert.True(expected.TryGetValue(user.UserId, out long written), $"user {user.UserId} returned but not due");
            Assert.Equal(written, user.WrittenMs);
        }
    }

    /// <summary>
    /// Ids whose Fibonacci hashes are <paramref name="hashFrom"/>, +1, +2, …: the tracker's home
    /// slot is the hash's high bits, so they share one home at every table size.
    /// </summary>
    private static IEnumerable<ulong> CollidingIds(ulong hashFrom, int count)
    {
        ulong inverse = Inverse(0x9E3779B97F4A7C15UL);
        for (int i = 0; i < count; i++)
        {
            ulong id = unchecked((hashFrom + (ulong)i) * inverse);
            if (id != 0)
                yield return id;
        }
    }

    /// <summary>The multiplicative inverse of an odd number modulo 2^64 (Newton's iteration, 6 rounds for 64 bits).</summary>
    private static ulong Inverse(ulong odd)
    {
        ulong x = odd;
        for (int i = 0; i < 6; i++)
            x = unchecked(x * (2 - odd * x));
        Assert.Equal(1UL, unchecked(odd * x));
        return x;
    }
}
