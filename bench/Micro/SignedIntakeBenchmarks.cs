using BenchmarkDotNet.Attributes;
using Presence.Core;
using Presence.Ingest;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Intake;

namespace Presence.Bench.Micro;

/// <summary>
/// Per-record cost of the signed receive path: <see cref="FrameIntake.Process"/> on full signed
/// UDP frames (45 records), i.e. parse, device key (from the cache, or derived with HKDF when
/// <see cref="KeyCached"/> is false and the cache has one slot), HMAC tag check, skew check and
/// the replay window. The replay guard is kept at its smallest (64 users, one per shard), so a
/// user's window is forgotten as soon as another user lands in its shard: the same frames are
/// re-accepted op after op instead of all turning into replays. Every record is verified either way.
/// </summary>
public class SignedIntakeBenchmarks
{
    private const int FramesPerOp = 16;
    private const int Records = FrameFormat.MaxUdpSignedRecords;
    private const int Users = FramesPerOp * Records;
    private readonly byte[][] _frames = new byte[FramesPerOp][];
    private FrameIntake _intake = null!;
    private RecordBatch _batch = null!;

    /// <summary>True: every device key is in the cache (steady state); false: one is derived per record.</summary>
    [Params(true, false)]
    public bool KeyCached { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var master = new byte[Signing.MasterKeySize];
        new Random(7).NextBytes(master);
        var ring = new MasterKeyRing();
        ring.Add(1, master);
        uint now = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        for (int f = 0; f < FramesPerOp; f++)
        {
            var records = new HeartbeatRecord[Records];
            for (int i = 0; i < Records; i++)
                records[i] = new HeartbeatRecord((ulong)(f * Records + i + 1), now, 1, RecordKind.Heartbeat, 1);
            _frames[f] = new byte[FrameFormat.FrameSize(Records, signed: true)];
            FrameWriter.WriteSigned(_frames[f], records, ring);
        }
        var options = new IngestOptions
        {
            SkewSeconds = 86_400, // frames are built once; a long run must not turn them stale
            KeyCacheSlots = KeyCached ? 4 * Users : 1,
            ReplayUsers = 64,
        };
        options.KeyRing = ring;
        _intake = new FrameIntake(options, new IngestClock());
        _batch = new RecordBatch(Users);
        Run(); // fill the key cache
    }

    /// <summary>Returns the records verified (accepted or, rarely, replayed): all of them.</summary>
    [Benchmark(OperationsPerInvoke = Users)]
    public long VerifySigned() => Run();

    private long Run()
    {
        var counters = new IntakeCounters();
        _batch.Count = 0;
        for (int f = 0; f < FramesPerOp; f++)
            _intake.Process(_frames[f], _batch, ref counters, Records);
        return counters.AuthFailed == 0 && counters.Stale == 0 ? counters.Accepted + counters.Replayed : -1;
    }
}
