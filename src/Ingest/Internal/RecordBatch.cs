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

    public int Capacity => Users.Length;

    public void Add(ulong user, RecordKind kind)
    {
        Users[Count] = user;
        Kinds[Count] = kind;
        Count++;
    }
}

/// <summary>
/// A fixed set of batches, allocated at start: the receive side never allocates in steady state.
/// Sized so that every batch the channel can hold, plus one per receive loop, exists; a Rent
/// that finds it empty anyway (it cannot by construction) allocates rather than stall receiving.
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
        _free.Enqueue(batch);
    }
}
