using System.Collections.Concurrent;
using Presence.Core;

namespace Presence.Ingest.Internal;

/// <summary>
/// The records of one receive batch (up to 64 datagrams × 91 records), all stamped with the
/// time the batch was received. The unit the receive loop hands to the coalescer: a channel
/// write costs far more than parsing one record, so a channel carries batches.
/// </summary>
internal sealed class RecordBatch(int capacity)
{
    public readonly ulong[] Users = new ulong[capacity];
    public readonly RecordKind[] Kinds = new RecordKind[capacity];

    public int Count;
    public long ReceiveMs;

    /// <summary>Records admitted through <see cref="PendingRoom"/> for this batch (TCP); 0 for UDP.</summary>
    public int Reserved;

    public int Capacity => Users.Length;

    public void Add(ulong user, RecordKind kind)
    {
        Users[Count] = user;
        Kinds[Count] = kind;
        Count++;
    }
}

/// <summary>
/// A set of batches allocated at start: the receive side never allocates in steady state.
/// Sized so that every batch the channel can hold, plus one per UDP receive loop, exists. TCP
/// connections rent one only while they parse or publish, so a Rent that finds the set empty
/// (many TCP connections busy at once) allocates rather than stall; the batch then stays in the
/// set, which grows to the peak number in use and no further.
/// </summary>
internal sealed class RecordBatchPool
{
    private readonly ConcurrentQueue<RecordBatch> _free = new();
    private readonly int _batchCapacity;

    public RecordBatchPool(int batches, int batchCapacity)
    {
        _batchCapacity = batchCapacity;
        for (int i = 0; i < batches; i++)
            _free.Enqueue(new RecordBatch(batchCapacity));
    }

    public RecordBatch Rent()
    {
        if (_free.TryDequeue(out var batch))
            return batch;
        return new RecordBatch(_batchCapacity);
    }

    public void Return(RecordBatch batch)
    {
        batch.Count = 0;
        batch.Reserved = 0;
        _free.Enqueue(batch);
    }
}
