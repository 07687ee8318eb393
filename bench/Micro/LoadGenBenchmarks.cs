using BenchmarkDotNet.Attributes;
using Presence.LoadGen.Internal;

namespace Presence.Bench.Micro;

/// <summary>
/// Per-record cost of the load generator's packing (schedule step, seq, encode), without the
/// send: what presence-loadgen adds on top of the kernel's cost per datagram.
/// </summary>
public class LoadGenBenchmarks
{
    private const int Frames = 64;
    private FrameBuilder _builder = null!;
    private FrameBatch _batch = null!;

    [Params(1, 32)]
    public int PerFrame { get; set; }

    [Params(0.0, 0.25)]
    public double Dup { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var schedule = new HeartbeatSchedule(1, 1_000_000, intervalSeconds: 0);
        _builder = new FrameBuilder(schedule, PerFrame, Dup, FrameBuilder.DupWindowFor(double.PositiveInfinity));
        _batch = new FrameBatch(Frames);
    }

    [Benchmark]
    public int BuildBatch()
    {
        _batch.Clear();
        _builder.Build(_batch, Frames, 1_764_270_000);
        return _batch.Count;
    }
}
