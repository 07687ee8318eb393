using Presence.Core.Events;
using Presence.LoadGen.Internal;

namespace Presence.Bench.Events;

/// <summary>What one events run measured over its steady window.</summary>
internal sealed class EventsResult : WindowResult
{
    public required int Subscribers { get; init; }
    public required long WatchedIds { get; init; }
    public required long DistinctWatchedIds { get; init; }

    public required ChurnPlan Plan { get; init; }
    public required long LogOnline { get; init; }
    public required long LogTimeout { get; init; }
    public required long LogSignout { get; init; }
    /// <summary>Log lines of users that do not churn: spurious transitions (a steady user should never go offline).</summary>
    public required long LogNotChurning { get; init; }
    public required double IngestTransitions { get; init; }
    public required double IngestAppends { get; init; }
    public required double IngestTransitionsDropped { get; init; }
    /// <summary>The most users the ingester held unwritten at the window's samples (a write lag when far above one flush window's worth).</summary>
    public required double PendingUsersMax { get; init; }
    public required double KernelDrops { get; init; }
    public required double HeartbeatsPerSecond { get; init; }
    /// <summary>The ingester's presence writes that landed in the window (one per online user per flush window).</summary>
    public required double PresenceWrites { get; init; }
    /// <summary>The ingester's last seen writes in the window, every result (one per offline transition, --last-seen-days).</summary>
    public required double LastSeenWrites { get; init; }

    public required double StreamsEndedByNode { get; init; }
    public required double FeedErrors { get; init; }
    public required double Resyncs { get; init; }

    public long LogLines => LogOnline + LogTimeout + LogSignout;

    /// <summary>Transitions a second the churn plan makes in its steady state, by kind: C/P online, (C − S)/P timeout, S/P sign-out.</summary>
    public double PlanPerSecond(TransitionKind kind) => kind switch
    {
        TransitionKind.Online => Plan.Churning / Plan.PeriodSeconds,
        TransitionKind.Timeout => (Plan.Churning - Plan.SigningOut) / Plan.PeriodSeconds,
        _ => Plan.SigningOut / Plan.PeriodSeconds,
    };

    /// <summary>
    /// The ingester's last seen trim calls in the window: one bucket every hour / buckets (LastSeenTrim.Every),
    /// a script call that runs no GET.
    /// </summary>
    public double LastSeenTrims => WindowSeconds * Presence.Core.LastSeen.LastSeenKeys.Buckets / 3600.0;

    /// <summary>Reads of the log by the query node: script calls that were not the ingester's appends, last seen writes or trims.</summary>
    public double LogReads => Math.Max(0, Store.ScriptCalls - IngestAppends - LastSeenWrites - LastSeenTrims);

    /// <summary>
    /// The ingester's expiry checks: GETs less the two (epoch, sequence number) each events-log script
    /// runs; the last seen scripts run none.
    /// </summary>
    public double ExpiryGets => Math.Max(0, Store.Gets - 2 * (IngestAppends + LogReads));

    /// <summary>What last seen adds to the store's writes: its writes over the presence writes.</summary>
    public double LastSeenShare => PresenceWrites <= 0 ? 0 : LastSeenWrites / PresenceWrites;
}
