using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Presence.Core;
using Presence.Ingest;
using Presence.Ingest.Internal;

namespace Presence.Bench.Micro;

/// <summary>
/// The per-record cost of the receive path: validate a full UDP frame (91 records) into a batch,
/// then fold the batch into the coalescing window, users drawn from 100K (a window that is
/// already warm, as in steady state). Reported per record; allocations must be 0.
/// </summary>
public class IntakeBenchmarks
{
    private const int FramesPerOp = 64;
    private const int Records = FrameFormat.MaxUdpUnsignedRecords;
    private readonly byte[][] _frames = new byte[FramesPerOp][];
    private FrameIntake _intake = null!;
    private Coalescer _coalescer = null!;
    private RecordBatch _batch = null!;

    [GlobalSetup]
    public void Setup()
    {
        var rnd = new Random(1);
        for (int f = 0; f < FramesPerOp; f++)
        {
            var records = new HeartbeatRecord[Records];
            for (int i = 0; i < Records; i++)
                records[i] = new HeartbeatRecord((ulong)rnd.Next(1, 100_001), 1764270000, (ushort)i, RecordKind.Heartbeat, 0);
            _frames[f] = new byte[FrameFormat.FrameSize(Records, signed: false)];
            FrameWriter.WriteUnsigned(_frames[f], records);
        }
        var options = new IngestOptions();
        _intake = new FrameIntake(options, new IngestClock());
        var pool = new RecordBatchPool(1, ReceiveLoop.RecordsPerBatch);
        _coalescer = new Coalescer(Channel.CreateUnbounded<RecordBatch>().Reader, pool, new IngestMetrics(), windowCapacity: 200_000);
        _batch = new RecordBatch(ReceiveLoop.RecordsPerBatch);
        Run(); // warm the window to its steady size
    }

    [Benchmark(OperationsPerInvoke = FramesPerOp * Records)]
    public int ParseAndCoalesce() => Run();

    [Benchmark(OperationsPerInvoke = FramesPerOp * Records)]
    public int ParseOnly()
    {
        var counters = new IntakeCounters();
        _batch.Count = 0;
        for (int f = 0; f < FramesPerOp; f++)
            _intake.Process(_frames[f], _batch, ref counters, Records);
        return _batch.Count;
    }

    private int Run()
    {
        var counters = new IntakeCounters();
        _batch.Count = 0;
        for (int f = 0; f < FramesPerOp; f++)
            _intake.Process(_frames[f], _batch, ref counters, Records);
        _coalescer.Apply(_batch);
        return _batch.Count;
    }
}
