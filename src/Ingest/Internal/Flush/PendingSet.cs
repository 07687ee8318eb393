using System.Runtime.InteropServices;
using Presence.Ingest.Internal.Coalesce;

namespace Presence.Ingest.Internal.Flush;

/// <summary>
/// Users pending until the store confirms their write: closed windows are merged in (latest time
/// wins), a flush takes a snapshot, and a user leaves only when the write of exactly its
/// current state succeeded. A failed write, or one overtaken by a newer record while in flight,
/// simply stays for the next flush. Bounded: past <see cref="Capacity"/> new users are refused
/// (and counted by the caller); users already pending are still updated. Owned by the flusher thread.
/// </summary>
internal sealed class PendingSet(int capacity)
{
    private readonly Dictionary<ulong, UserState> _users = new();

    public int Capacity { get; } = capacity;

    public int Count => _users.Count;

    /// <summary>Merges a closed window; returns how many new users were refused for want of room.</summary>
    public long Merge(CoalescingWindow window)
    {
        long refused = 0;
        foreach (var (user, state) in window.Users)
        {
            if (_users.Count >= Capacity)
            {
                ref var existing = ref CollectionsMarshal.GetValueRefOrNullRef(_users, user);
                if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref existing))
                {
                    refused++;
                    continue;
                }
                existing = UserState.Latest(existing, state);
                continue;
            }
            ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_users, user, out bool exists);
            slot = exists ? UserState.Latest(slot, state) : state;
        }
        return refused;
    }

    /// <summary>
    /// Fills <paramref name="writes"/> (grown when too small) with one command per pending user and
    /// returns how many. Users whose time is up (receive + ttl ≤ now: their key would already have
    /// expired) are dropped, not written, and counted in <paramref name="expired"/>.
    /// </summary>
    public int Snapshot(ref PendingWrite[] writes, long nowMs, long ttlMs, out long expired)
    {
        // One allocation when the set outgrew the buffer, not a chain of doublings each leaving
        // its predecessor behind as large-object garbage (1M users: 24 MB, not 24 + 12 + 6 + …).
        if (writes.Length < _users.Count)
            writes = new PendingWrite[_users.Count];
        expired = 0;
        int count = 0;
        foreach (var (user, state) in _users)
        {
            long left = state.ReceiveMs + ttlMs - nowMs;
            if (left <= 0)
            {
                _users.Remove(user); // allowed while enumerating since .NET Core 3.0
                expired++;
                continue;
            }
            writes[count++] = new PendingWrite(user, state.ReceiveMs, state.Kind, (int)left); // left ≤ ttlMs ≤ 86,400,000
        }
        return count;
    }

    /// <summary>The write of <paramref name="write"/> succeeded: the user leaves unless a newer record arrived meanwhile.</summary>
    public void Confirm(in PendingWrite write)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrNullRef(_users, write.UserId);
        if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref slot) && slot.ReceiveMs == write.ReceiveMs && slot.Kind == write.Kind)
            _users.Remove(write.UserId);
    }

    /// <summary>
    /// The write of <paramref name="write"/> ran out of time before it was issued: the user leaves
    /// (its key would already have expired) unless a newer record arrived meanwhile. Returns whether it left.
    /// </summary>
    public bool Expire(in PendingWrite write)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrNullRef(_users, write.UserId);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref slot) || slot.ReceiveMs != write.ReceiveMs || slot.Kind != write.Kind)
            return false;
        _users.Remove(write.UserId);
        return true;
    }

    public bool TryGet(ulong userId, out UserState state) => _users.TryGetValue(userId, out state);
}
