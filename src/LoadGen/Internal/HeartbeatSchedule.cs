using System.Diagnostics;

namespace Presence.LoadGen.Internal;

/// <summary>
/// Which user is due when, without a per-user object. Time is cut into <em>slots</em>: slot
/// <c>k</c> (0, 1, 2, …) is due <c>k × interval / users</c> seconds after the start and belongs to
/// user <c>first + perm(k mod users)</c>. Over any interval every user is due exactly once, one
/// every <c>interval / users</c> seconds (no thundering herd), and each keeps its own phase, so a
/// user heartbeats every <c>interval</c> seconds.
/// </summary>
/// <remarks>
/// <c>perm(i) = (step × i + offset) mod users</c> with <c>gcd(step, users) = 1</c> is a bijection
/// on <c>0 … users−1</c>: it gives each user a fixed, scattered phase (its jitter) in O(1) memory,
/// and consecutive slots step to the next user with an add and a compare. A step near
/// <c>users × 0.618</c> (the golden ratio) puts neighbouring ids far apart in time.
/// </remarks>
internal sealed class HeartbeatSchedule
{
    private const double GoldenFraction = 0.6180339887498949;

    private readonly uint _step;
    private readonly uint _offset;

    /// <param name="intervalSeconds">0 floods: every slot is due at once, paced only by a rate cap.</param>
    /// <param name="seed">Chooses the permutation; the same seed gives the same order.</param>
    /// <param name="churn">Users that alternate between active and silent periods (<see cref="ActionAt(long, int)"/>); null: every user heartbeats at every slot.</param>
    public HeartbeatSchedule(ulong firstId, int users, double intervalSeconds, ulong seed = 1, ChurnPlan? churn = null)
    {
        ArgumentOutOfRangeException.ThrowIfZero(firstId);
        ArgumentOutOfRangeException.ThrowIfLessThan(users, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(intervalSeconds);
        if (firstId + (ulong)(users - 1) < firstId)
            throw new ArgumentOutOfRangeException(nameof(users), "The last user id would pass 2^64 − 1.");
        if (churn is not null && intervalSeconds == 0)
            throw new ArgumentException("Churn needs a schedule: an interval above 0.", nameof(churn));
        FirstId = firstId;
        Users = users;
        IntervalSeconds = intervalSeconds;
        Churn = churn;

        ulong mixed = Mix(seed);
        uint n = (uint)users;
        uint step = (uint)((ulong)(n * GoldenFraction) + mixed % Math.Max(1, n / 16)) % n;
        while (Gcd(step, n) != 1)
            step = (step + 1) % n;
        _step = step;
        _offset = (uint)((mixed >> 32) % n);
    }

    public ulong FirstId { get; }

    public int Users { get; }

    public double IntervalSeconds { get; }

    /// <summary>The churning users' plan, or null when every user heartbeats at every slot.</summary>
    public ChurnPlan? Churn { get; }

    /// <summary>Interval 0: no schedule, users back to back as fast as the rate cap allows.</summary>
    public bool IsFlood => IntervalSeconds == 0;

    /// <summary>Slots due per second: users / interval (infinite when flooding).</summary>
    public double SlotsPerSecond => IsFlood ? double.PositiveInfinity : Users / IntervalSeconds;

    /// <summary>How many slots are due <paramref name="elapsedSeconds"/> after the start (slot 0 is due at 0).</summary>
    public long SlotsDueAt(double elapsedSeconds)
    {
        if (IsFlood)
            return long.MaxValue;
        if (elapsedSeconds < 0)
            return 0;
        return (long)Math.Floor(elapsedSeconds * Users / IntervalSeconds) + 1;
    }

    /// <summary>Seconds after the start at which <paramref name="slot"/> is due.</summary>
    public double DueTime(long slot) => IsFlood ? 0 : slot * IntervalSeconds / Users;

    /// <summary>The user index (0 … users−1) of <paramref name="slot"/>.</summary>
    public int IndexAt(long slot)
    {
        Debug.Assert(slot >= 0);
        ulong i = (ulong)(slot % Users);
        return (int)((_step * i + _offset) % (uint)Users);
    }

    /// <summary>The user index of the slot after the one whose index is <paramref name="index"/>.</summary>
    public int NextIndex(int index)
    {
        uint next = (uint)index + _step;
        return (int)(next >= (uint)Users ? next - (uint)Users : next);
    }

    /// <summary>
    /// What the user of <paramref name="slot"/> (whose index is <paramref name="index"/>) does there:
    /// a heartbeat, unless it churns and the slot falls in one of its silent periods.
    /// </summary>
    public SlotAction ActionAt(long slot, int index)
    {
        Debug.Assert(index == IndexAt(slot));
        return Churn is null ? SlotAction.Heartbeat : Churn.ActionAt(index, DueTime(slot), IntervalSeconds, hasPrevious: slot >= Users);
    }

    public SlotAction ActionAt(long slot) => ActionAt(slot, IndexAt(slot));

    public ulong UserAt(long slot) => FirstId + (ulong)IndexAt(slot);

    public ulong UserOfIndex(int index) => FirstId + (ulong)index;

    /// <summary>The index of <paramref name="userId"/>, or −1 when it is not one of this schedule's users.</summary>
    public int IndexOfUser(ulong userId) =>
        userId >= FirstId && userId - FirstId < (ulong)Users ? (int)(userId - FirstId) : -1;

    private static uint Gcd(uint a, uint b)
    {
        while (b != 0)
            (a, b) = (b, a % b);
        return a;
    }

    /// <summary>SplitMix64's finaliser: spreads a small seed over all 64 bits.</summary>
    internal static ulong Mix(ulong x)
    {
        x += 0x9E3779B97F4A7C15;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EB;
        return x ^ (x >> 31);
    }
}
