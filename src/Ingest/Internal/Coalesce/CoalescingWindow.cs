using System.Runtime.InteropServices;
using Presence.Core;

namespace Presence.Ingest.Internal.Coalesce;

/// <summary>
/// One flush window: user id → latest state. Not thread-safe: the coalescer owns the open
/// window and the flusher owns the closed one (double buffering, <see cref="Coalescer"/>).
/// Cleared, not reallocated, between uses, so a steady load allocates nothing here.
/// </summary>
internal sealed class CoalescingWindow
{
    private readonly Dictionary<ulong, UserState> _users;

    public CoalescingWindow(int capacity = 0) => _users = new Dictionary<ulong, UserState>(capacity);

    public int Count => _users.Count;

    public Dictionary<ulong, UserState> Users => _users;

    /// <summary>Applies one record; true when the user was already in the window (one record absorbed).</summary>
    public bool Apply(ulong userId, long receiveMs, RecordKind kind)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_users, userId, out bool exists);
        var incoming = new UserState(receiveMs, kind);
        slot = exists ? UserState.Latest(slot, incoming) : incoming;
        return exists;
    }

    public void Clear() => _users.Clear();
}
