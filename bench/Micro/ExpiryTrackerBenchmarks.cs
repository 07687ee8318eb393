using BenchmarkDotNet.Attributes;
using Presence.Ingest.Internal.Transitions;

namespace Presence.Bench.Micro;

/// <summary>
/// The flusher's lookups in the expiry tracker: a chunk's 16,384 users, in the random order a flush
/// meets them, in a table of millions (cold in the caches, as at 300,000 heartbeats/s). Baseline: one
/// lookup after another; then with each user's slot asked for a few lookups ahead (the flusher's
/// <c>Prefetch</c>); and a <see cref="Dictionary{TKey, TValue}"/> of the same users for reference.
/// docs/PERFORMANCE.md, "Where the ingest's time goes at 300,000 heartbeats/s".
/// </summary>
public class ExpiryTrackerBenchmarks
{
    private const int Chunk = 16_384;
    private const int Ahead = 8;
    private const long Start = 1_750_000_000_000;

    private ExpiryTracker _tracker = null!;
    private Dictionary<ulong, long> _dictionary = null!;
    private ulong[] _order = [];
    private readonly List<TrackedUser> _due = [];
    private int _next;

    [Params(1_000_000, 4_000_000)]
    public int Users { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(42);
        var ids = new ulong[Users];
        for (int i = 0; i < ids.Length; i++)
            ids[i] = (ulong)random.NextInt64(1, long.MaxValue);
        _tracker = new ExpiryTracker(Start);
        _dictionary = new Dictionary<ulong, long>(Users);
        foreach (ulong id in ids)
        {
            _tracker.Set(id, Start + (long)(id % 10_000));
            _dictionary[id] = Start;
        }
        random.Shuffle(ids);
        _order = ids;
    }

    private ReadOnlySpan<ulong> NextChunk()
    {
        if (_next + Chunk > _order.Length)
            _next = 0;
        var chunk = _order.AsSpan(_next, Chunk);
        _next += Chunk;
        return chunk;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Chunk)]
    public long OneAfterAnother() => Lookups(_tracker, NextChunk(), prefetch: false);

    [Benchmark(OperationsPerInvoke = Chunk)]
    public long Prefetched() => Lookups(_tracker, NextChunk(), prefetch: true);

    /// <summary>The expiry watcher's scan for due users, once a tick while any are (users going offline): the whole table, per scan.</summary>
    [Benchmark]
    public int ScanForDue()
    {
        _due.Clear();
        return _tracker.CollectDue(Start + 5_000, _due, max: 0) + _tracker.Count; // past the lower bound: the whole table read, none taken
    }

    /// <summary>
    /// The same scan in a steady state with users going offline: 3 in 10,000 due (300 at 1M users: a tick's worth at 1M
    /// online with 10-minute sessions, ~1,700 offline a second, each due until its check is answered).
    /// </summary>
    [Benchmark]
    public int ScanForFewDue()
    {
        _due.Clear();
        return _tracker.CollectDue(Start + 2, _due, max: 0) + _tracker.Count;
    }

    [Benchmark(OperationsPerInvoke = Chunk)]
    public long Dictionary()
    {
        long sum = 0;
        foreach (ulong id in NextChunk())
            sum += _dictionary.TryGetValue(id, out long v) ? v : 0;
        return sum;
    }

    private static long Lookups(ExpiryTracker tracker, ReadOnlySpan<ulong> chunk, bool prefetch)
    {
        long sum = 0;
        for (int i = 0; i < chunk.Length; i++)
        {
            if (prefetch && i + Ahead < chunk.Length)
                tracker.Prefetch(chunk[i + Ahead]);
            sum += tracker.TryGet(chunk[i], out long v) ? v : 0;
        }
        return sum;
    }
}
