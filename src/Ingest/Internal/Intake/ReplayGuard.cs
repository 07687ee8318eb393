using System.Runtime.InteropServices;

namespace Presence.Ingest.Internal.Intake;

/// <summary>
/// Replay windows for every signed user, sharded by user id so receive loops (and TCP
/// connections) rarely contend. Bounded: past <see cref="Capacity"/> users a shard is cleared
/// whole (counted by the caller) — the time-skew check still bounds what a replay can do then,
/// as after a restart (PROTOCOL.md).
/// </summary>
internal sealed class ReplayGuard
{
    private const int Shards = 64;
    private readonly Dictionary<ulong, ReplayWindow>[] _shards = new Dictionary<ulong, ReplayWindow>[Shards];
    private readonly Lock[] _locks = new Lock[Shards];
    private readonly int _perShard;

    public ReplayGuard(int capacity)
    {
        Capacity = capacity;
        _perShard = Math.Max(1, capacity / Shards);
        for (int i = 0; i < Shards; i++)
        {
            _shards[i] = new Dictionary<ulong, ReplayWindow>();
            _locks[i] = new Lock();
        }
    }

    public int Capacity { get; }

    /// <summary>Users whose windows were forgotten because a shard was full.</summary>
    public long Evicted;

    /// <summary>True when (<paramref name="user"/>, <paramref name="seq"/>) is fresh; records it.</summary>
    public bool TryAccept(ulong user, ushort seq)
    {
        int shard = (int)((user * 0x9E3779B97F4A7C15UL) >> 58); // top 6 bits of a Fibonacci hash
        var map = _shards[shard];
        lock (_locks[shard])
        {
            if (map.Count >= _perShard && !map.ContainsKey(user))
            {
                Interlocked.Add(ref Evicted, map.Count);
                map.Clear();
            }
            ref var window = ref CollectionsMarshal.GetValueRefOrAddDefault(map, user, out _);
            return window.TryAccept(seq);
        }
    }
}
