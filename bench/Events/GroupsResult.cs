using Presence.Core.Events;

namespace Presence.Bench.Events;

/// <summary>What one part of a groups run measured over its steady window.</summary>
internal sealed class GroupsResult
{
    public required int Run { get; init; }
    public required GroupsPart Part { get; init; }
    public required double WindowSeconds { get; init; }
    public required string LoadAverage { get; init; }

    /// <summary>Seconds until every stream of the part had its snapshot.</summary>
    public required double ConnectSeconds { get; init; }

    /// <summary>
    /// Milliseconds from the request to the last byte of the snapshot: of the probe streams opened
    /// and closed one at a time before the part's streams (only for a part of one stream), then of
    /// the part's own streams (opened <see cref="BenchOptions.ConnectAtOnce"/> at a time).
    /// </summary>
    public required double[] ProbeSnapshotMs { get; init; }
    public required double[] StreamSnapshotMs { get; init; }

    public required double SubscribersHeldMin { get; init; }
    public required long QueryRssAfterConnectBytes { get; init; }
    public required long QueryRssBytes { get; init; }
    public required long QueryPeakRssBytes { get; init; }
    public required double QueryCores { get; init; }
    public required double RedisCores { get; init; }
    public required double IngestCores { get; init; }
    public required double ClientCores { get; init; }

    public required long LogLines { get; init; }
    public required double IngestTransitionsDroppedSinceStart { get; init; }
    public required DeliveryCheck Check { get; init; }

    /// <summary>Counts the streams sent that disagree with the state their events give (snapshot online/members, each group event's count).</summary>
    public required int CountMismatches { get; init; }

    /// <summary>Receive time minus <c>at</c> of each delivery in the window, in ms, ascending, by kind.</summary>
    public required Dictionary<TransitionKind, double[]> ClientDelays { get; init; }
    public required HistogramCounts ServerOnline { get; init; }
    public required HistogramCounts ServerOffline { get; init; }
    public required StoreWork Store { get; init; }

    /// <summary>
    /// A group part's: for each line delivered both to a group stream and to the id stream of the same
    /// block (run side by side), the group stream's receive time minus the id stream's, ms, ascending.
    /// </summary>
    public required double[] ExtraOverIdsMs { get; init; }

    /// <summary>The median of the probes' snapshot times, else of the part's streams'.</summary>
    public double SnapshotMs => Report.Median(ProbeSnapshotMs.Length > 0 ? ProbeSnapshotMs : StreamSnapshotMs);
}
