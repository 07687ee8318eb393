using System.Threading.Channels;
using Presence.Core;
using Presence.Ingest;
using Presence.Ingest.Internal.Coalesce;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Intake;
using Presence.Ingest.Internal.Udp;

namespace Presence.Bench.Micro;

/// <summary>
/// The receive path without sockets, shared by the intake benchmarks: frames of random users
/// (1..100K, so the window is warm as in steady state), a <see cref="FrameIntake"/>, one batch,
/// and a coalescer whose window is sized for every user.
/// </summary>
internal sealed class IntakeHarness
{
    public const int FramesPerOp = 64;

    public IntakeHarness(IngestOptions options)
    {
        Intake = new FrameIntake(options, new IngestClock());
        var pool = new RecordBatchPool(ReceiveLoop.RecordsPerBatch);
        Coalescer = new Coalescer(Channel.CreateUnbounded<RecordBatch>().Reader, pool, new IngestMetrics(), windowCapacity: 200_000);
    }

    public FrameIntake Intake { get; }

    public Coalescer Coalescer { get; }

    public RecordBatch Batch { get; } = new(ReceiveLoop.RecordsPerBatch);

    /// <summary><paramref name="count"/> heartbeats of users drawn from 1..100K, all with the same time and seq.</summary>
    public static HeartbeatRecord[] RandomRecords(Random rnd, int count, uint time, ushort seq)
    {
        var records = new HeartbeatRecord[count];
        for (int i = 0; i < count; i++)
            records[i] = new HeartbeatRecord((ulong)rnd.Next(1, 100_001), time, seq, RecordKind.Heartbeat, 0);
        return records;
    }

    public static byte[] Unsigned(HeartbeatRecord[] records)
    {
        var frame = new byte[FrameFormat.FrameSize(records.Length, signed: false)];
        FrameWriter.WriteUnsigned(frame, records);
        return frame;
    }

    /// <summary>Validates every frame into the (emptied) batch, then folds it into the window when <paramref name="coalesce"/>.</summary>
    public IntakeCounters Run(byte[][] frames, int maxRecords, bool coalesce = true)
    {
        var counters = new IntakeCounters();
        Batch.Count = 0;
        foreach (var frame in frames)
            Intake.Process(frame, Batch, ref counters, maxRecords);
        if (coalesce)
            Coalescer.Apply(Batch);
        return counters;
    }
}
