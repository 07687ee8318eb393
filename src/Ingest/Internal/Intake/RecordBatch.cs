using Presence.Core;
using Presence.Ingest.Internal.Infrastructure;

namespace Presence.Ingest.Internal.Intake;

/// <summary>
/// The records of one receive batch (up to 64 datagrams × 91 records), all stamped with the
/// time the batch was received. The unit the receive loop hands to the coalescer: a channel
/// write costs far more than parsing one record, so a channel carries batches.
/// </summary>
/// <remarks>
/// <see cref="Capacity"/> is the most records the batch may take; its arrays start at
/// <see cref="InitialLength"/> (one record from each datagram of a full receive batch, the
/// common one-heartbeat-a-datagram case) and double only when a batch really holds more. A full
/// channel of 1024 batches of single-record datagrams so costs ~0.7 MB, not the 54 MB that
/// arrays sized for 64 full frames each would.
/// </remarks>
internal sealed class RecordBatch(int capacity)
{
    /// <summary>Array length a batch starts with: one record per datagram of a receive batch.</summary>
    public const int InitialLength = 64;

    public ulong[] Users = new ulong[Math.Min(capacity, InitialLength)];
    public RecordKind[] Kinds = new RecordKind[Math.Min(capacity, InitialLength)];

    public int Count;
    public long ReceiveMs;

    /// <summary>Records admitted through <see cref="PendingBudget"/> for this batch (TCP); 0 for UDP.</summary>
    public int Reserved;

    /// <summary>The most records this batch may hold.</summary>
    public int Capacity { get; } = capacity;

    public void Add(ulong user, RecordKind kind)
    {
        if (Count == Users.Length)
            Grow();
        Users[Count] = user;
        Kinds[Count] = kind;
        Count++;
    }

    private void Grow()
    {
        if (Users.Length >= Capacity)
            throw new InvalidOperationException($"a record batch holds at most {Capacity} records");
        int length = (int)Math.Min(Capacity, 2L * Users.Length);
        Array.Resize(ref Users, length);
        Array.Resize(ref Kinds, length);
    }
}
