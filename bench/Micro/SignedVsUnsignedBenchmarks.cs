using BenchmarkDotNet.Attributes;
using Presence.Core;
using Presence.Ingest;

namespace Presence.Bench.Micro;

/// <summary>
/// Signed against unsigned intake, per record, in one run so the ratio is measured on the same
/// machine state: full UDP frames (91 unsigned or 45 signed records), users drawn from 100K, the
/// device-key cache warm (256K slots hold every user, as in steady state), then folded into the
/// coalescing window. Signed records are verified in full (cache lookup, tag, skew, replay
/// window); after the first pass their sequence numbers are already seen, so they are counted
/// replayed and not added to the batch: the cost measured is the verification, less one
/// batch append per record.
/// </summary>
public class SignedVsUnsignedBenchmarks
{
    private const int FramesPerOp = IntakeHarness.FramesPerOp;
    private const int UnsignedRecords = FrameFormat.MaxUdpUnsignedRecords;
    private const int SignedRecords = FrameFormat.MaxUdpSignedRecords;
    private readonly byte[][] _unsigned = new byte[FramesPerOp][];
    private readonly byte[][] _signed = new byte[FramesPerOp][];
    private IntakeHarness _harness = null!;

    [GlobalSetup]
    public void Setup()
    {
        var ring = new MasterKeyRing();
        ring.Add(0, Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        uint now = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var rnd = new Random(1);
        for (int f = 0; f < FramesPerOp; f++)
        {
            var records = IntakeHarness.RandomRecords(rnd, UnsignedRecords, now, (ushort)(f + 1));
            _unsigned[f] = IntakeHarness.Unsigned(records);
            _signed[f] = new byte[FrameFormat.FrameSize(SignedRecords, signed: true)];
            FrameWriter.WriteSigned(_signed[f], records.AsSpan(0, SignedRecords), ring);
        }
        // The skew is wide so a long benchmark run never turns its records stale.
        var options = new IngestOptions { SkewSeconds = 86_400 };
        options.KeyRing = ring;
        _harness = new IntakeHarness(options);
        Run(_unsigned, UnsignedRecords);
        if (Run(_signed, SignedRecords) == 0)
            throw new InvalidOperationException("signed frames were not accepted: check the key ring");
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = FramesPerOp * UnsignedRecords)]
    public int Unsigned() => Run(_unsigned, UnsignedRecords);

    [Benchmark(OperationsPerInvoke = FramesPerOp * SignedRecords)]
    public int Signed() => Run(_signed, SignedRecords);

    // Records that passed the tag and skew checks: after the first pass the signed ones are
    // replays (verified in full, then not appended), so the batch alone would count 0.
    private int Run(byte[][] frames, int records)
    {
        var counters = _harness.Run(frames, records);
        return (int)(counters.Accepted + counters.Replayed);
    }
}
