using System.Diagnostics;

namespace Presence.LoadGen.Internal;

/// <summary>
/// Which users churn and when (<c>--churn</c>): a share of the users alternate between an active
/// period (heartbeats as scheduled) and a silent one, longer than the ingester's TTL, so each cycle
/// gives an <c>online</c> and an <c>offline</c> event. A share of the churning users sign out (one
/// kind 1 record at the first slot of the silent period) instead of falling silent, so the
/// offline is a <c>signout</c> rather than a <c>timeout</c>.
/// </summary>
/// <remarks>
/// Everything is derived from the user's index, no state per user:
/// <list type="bullet">
/// <item>index <c>i</c> churns when <c>⌊(i+1)·C/users⌋ &gt; ⌊i·C/users⌋</c>, C = round(users × share): exactly C
/// users, evenly spread over the id range (1%: every 100th id), its ordinal <c>j = ⌊(i+1)·C/users⌋ − 1</c>;</item>
/// <item>ordinal <c>j</c> signs out by the same rule over the C churning users;</item>
/// <item>ordinal <c>j</c> is active while <c>(t + j·P/C) mod P &lt; active</c>, P = active + silent, t the slot's
/// due time: the phases are spread evenly over the period, so the C users make 2·C/P
/// transitions a second at a steady rate instead of all at once.</item>
/// </list>
/// </remarks>
internal sealed class ChurnPlan
{
    private readonly int _users;
    private readonly double _phaseStep;

    /// <param name="users">Users of the schedule.</param>
    /// <param name="share">Share of them that churn, 0 … 1.</param>
    /// <param name="activeSeconds">How long a churning user heartbeats before falling silent (at least one interval).</param>
    /// <param name="silentSeconds">How long it stays silent (longer than the TTL, at least one interval).</param>
    /// <param name="signOutShare">Share of the churning users that sign out when they fall silent, 0 … 1.</param>
    public ChurnPlan(int users, double share, double activeSeconds, double silentSeconds, double signOutShare)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(users, 1);
        if (!(share is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(share), share, "The churn share is 0 to 1.");
        if (!(signOutShare is >= 0 and <= 1))
            throw new ArgumentOutOfRangeException(nameof(signOutShare), signOutShare, "The sign-out share is 0 to 1.");
        if (!double.IsFinite(activeSeconds) || activeSeconds <= 0)
            throw new ArgumentOutOfRangeException(nameof(activeSeconds), activeSeconds, "The active period is a positive number of seconds.");
        if (!double.IsFinite(silentSeconds) || silentSeconds <= 0)
            throw new ArgumentOutOfRangeException(nameof(silentSeconds), silentSeconds, "The silent period is a positive number of seconds.");
        _users = users;
        ActiveSeconds = activeSeconds;
        SilentSeconds = silentSeconds;
        Churning = (int)Math.Round(users * share, MidpointRounding.AwayFromZero);
        SigningOut = (int)Math.Round(Churning * signOutShare, MidpointRounding.AwayFromZero);
        _phaseStep = Churning == 0 ? 0 : PeriodSeconds / Churning;
    }

    public double ActiveSeconds { get; }

    public double SilentSeconds { get; }

    /// <summary>One active and one silent period.</summary>
    public double PeriodSeconds => ActiveSeconds + SilentSeconds;

    /// <summary>How many users churn.</summary>
    public int Churning { get; }

    /// <summary>How many of the churning users sign out rather than fall silent.</summary>
    public int SigningOut { get; }

    /// <summary>Whether the user at <paramref name="index"/> churns, and its ordinal among the churning users.</summary>
    public bool IsChurning(int index, out int ordinal)
    {
        Debug.Assert(index >= 0 && index < _users);
        long before = (long)index * Churning / _users;
        long after = (long)(index + 1) * Churning / _users;
        ordinal = (int)before;
        return after > before;
    }

    /// <summary>Whether churning user <paramref name="ordinal"/> signs out when it falls silent.</summary>
    public bool SignsOut(int ordinal)
    {
        Debug.Assert(ordinal >= 0 && ordinal < Churning);
        return (long)(ordinal + 1) * SigningOut / Churning > (long)ordinal * SigningOut / Churning;
    }

    /// <summary>Where churning user <paramref name="ordinal"/> is in its cycle at <paramref name="seconds"/> after the start, 0 … period.</summary>
    public double PhaseAt(int ordinal, double seconds)
    {
        double phase = (seconds + ordinal * _phaseStep) % PeriodSeconds;
        return phase < 0 ? phase + PeriodSeconds : phase;
    }

    /// <summary>
    /// What user <paramref name="index"/> does at its slot due <paramref name="dueSeconds"/> after the
    /// start. <paramref name="intervalSeconds"/> apart are its slots; <paramref name="hasPrevious"/>
    /// says whether it had a slot before this one (a user never sends a sign-out before its first slot).
    /// </summary>
    public SlotAction ActionAt(int index, double dueSeconds, double intervalSeconds, bool hasPrevious)
    {
        if (!IsChurning(index, out int ordinal))
            return SlotAction.Heartbeat;
        double phase = PhaseAt(ordinal, dueSeconds);
        if (phase < ActiveSeconds)
            return SlotAction.Heartbeat;
        // The first slot of the silent period: its previous slot, one interval earlier, was active.
        return hasPrevious && phase - intervalSeconds < ActiveSeconds && SignsOut(ordinal) ? SlotAction.SignOut : SlotAction.Silent;
    }
}
