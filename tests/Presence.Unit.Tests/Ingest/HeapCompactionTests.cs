using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Presence.Ingest;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Testing;

namespace Presence.Unit.Tests.Ingest;

/// <summary><see cref="HeapCompaction"/>: one compaction after a burst, at most one a minute, skipped while the live heap is large.</summary>
public sealed class HeapCompactionTests
{
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UnixEpoch.AddDays(20_000));
    private readonly IngestMetrics _metrics = new();

    [Fact]
    public async Task Request_Compacts_ThenNotAgainWithinTheInterval_ThenAgain()
    {
        // The live heap given, not this process's: tests running beside this one (the micro-benchmarks'
        // smoke test sets up millions of users) can hold more than MaxLiveBytes, and then every
        // compaction here would be skipped, not done (it failed so on a clean clone).
        var compaction = new HeapCompaction(new IngestClock(_time), _metrics, NullLogger.Instance, liveBytes: () => 0);

        Assert.True(compaction.Request());
        await Eventually.Equal(1.0, () => _metrics.HeapCompactions.WithLabels("done").Value, "the first compaction counted");

        _time.Advance(HeapCompaction.MinInterval - TimeSpan.FromSeconds(1));
        Assert.False(compaction.Request()); // a second burst within the minute: no second pause

        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(compaction.Request());
        await Eventually.Equal(2.0, () => _metrics.HeapCompactions.WithLabels("done").Value, "the second compaction counted");
        Assert.Equal(0, _metrics.HeapCompactions.WithLabels("skipped").Value);
    }

    [Fact]
    public async Task Request_LiveHeapAboveTheLimit_Skipped_AndCounted()
    {
        var compaction = new HeapCompaction(new IngestClock(_time), _metrics, NullLogger.Instance, liveBytes: () => HeapCompaction.MaxLiveBytes + 1);

        Assert.True(compaction.Request());

        await Eventually.Equal(1.0, () => _metrics.HeapCompactions.WithLabels("skipped").Value, "the skip counted");
        Assert.Equal(0, _metrics.HeapCompactions.WithLabels("done").Value);
    }
}
