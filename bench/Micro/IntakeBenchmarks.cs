using BenchmarkDotNet.Attributes;
using Presence.Core;
using Presence.Ingest;

namespace Presence.Bench.Micro;

/// <summary>
/// The per-record cost of the receive path: validate a full UDP frame (91 records) into a batch,
/// then fold the batch into the coalescing window, users drawn from 100K (a window that is
/// already warm, as in steady state). Reported per record; allocations must be 0.
/// </summary>
public class IntakeBenchmarks
{
    private const int FramesPerOp = IntakeHarness.FramesPerOp;
    private const int Records = FrameFormat.MaxUdpUnsignedRecords;
    private readonly byte[][] _frames = new byte[FramesPerOp][];
    private IntakeHarness _harness = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rnd = new Random(1);
        for (int f = 0; f < FramesPerOp; f++)
            _frames[f] = IntakeHarness.Unsigned(IntakeHarness.RandomRecords(rnd, Records, 1764270000, (ushort)f));
        _harness = new IntakeHarness(new IngestOptions());
        ParseAndCoalesce(); // warm the window to its steady size
    }

    [Benchmark(OperationsPerInvoke = FramesPerOp * Records)]
    public int ParseAndCoalesce()
    {
        _harness.Run(_frames, Records);
        return _harness.Batch.Count;
    }

    [Benchmark(OperationsPerInvoke = FramesPerOp * Records)]
    public int ParseOnly()
    {
        _harness.Run(_frames, Records, coalesce: false);
        return _harness.Batch.Count;
    }
}
