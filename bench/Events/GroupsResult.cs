namespace Presence.Bench.Events;

/// <summary>What one part of a groups run measured over its steady window.</summary>
internal sealed class GroupsResult : WindowResult
{
    public required GroupsPart Part { get; init; }

    /// <summary>
    /// Milliseconds from the request to the last byte of the snapshot: of the probe streams opened
    /// and closed one at a time before the part's streams (only for a part of one stream), then of
    /// the part's own streams (opened <see cref="BenchOptions.ConnectAtOnce"/> at a time).
    /// </summary>
    public required double[] ProbeSnapshotMs { get; init; }
    public required double[] StreamSnapshotMs { get; init; }

    public required long LogLines { get; init; }

    /// <summary>Counts the streams sent that disagree with the state their events give (snapshot online/members, each group event's count).</summary>
    public required int CountMismatches { get; init; }

    /// <summary>
    /// A group part's: for each line delivered both to a group stream and to the id stream of the same
    /// block (run side by side), the group stream's receive time minus the id stream's, ms, ascending.
    /// </summary>
    public required double[] ExtraOverIdsMs { get; init; }

    /// <summary>The median of the probes' snapshot times, else of the part's streams'.</summary>
    public double SnapshotMs => Report.Median(ProbeSnapshotMs.Length > 0 ? ProbeSnapshotMs : StreamSnapshotMs);
}
