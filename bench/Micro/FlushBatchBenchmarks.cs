using BenchmarkDotNet.Attributes;
using Presence.Core;
using Presence.Ingest.Internal.Coalesce;
using Presence.Ingest.Internal.Flush;

namespace Presence.Bench.Micro;

/// <summary>
/// Per-user cost of building one flush's batch: merge a closed coalescing window of 10K users
/// into the <see cref="PendingSet"/>, snapshot it into the list of store commands, and confirm
/// every write (as the flusher does after a successful flush), which leaves the set empty again
/// for the next op. The store round trip itself is not included (see <c>flush</c> mode).
/// </summary>
public class FlushBatchBenchmarks
{
    private const int Users = 10_000;
    private const long TtlMs = 30_000;
    private readonly CoalescingWindow _window = new(Users);
    private readonly PendingSet _pending = new(1_000_000);
    private PendingWrite[] _writes = [];
    private long _nowMs;

    [GlobalSetup]
    public void Setup()
    {
        _nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var rnd = new Random(3);
        while (_window.Count < Users)
            _window.Apply((ulong)rnd.NextInt64(1, 10_000_000), _nowMs - rnd.Next(0, 250), RecordKind.Heartbeat);
        Run(); // size the set's and the list's storage
    }

    /// <summary>Returns the commands built: 10,000.</summary>
    [Benchmark(OperationsPerInvoke = Users)]
    public int MergeSnapshotConfirm() => Run();

    private int Run()
    {
        _pending.Merge(_window);
        int count = _pending.Snapshot(ref _writes, _nowMs, TtlMs, out _);
        for (int i = 0; i < count; i++)
            _pending.Confirm(_writes[i]);
        return _pending.Count == 0 ? count : -1;
    }
}
