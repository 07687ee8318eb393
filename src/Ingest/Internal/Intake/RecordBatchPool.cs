using System.Collections.Concurrent;

namespace Presence.Ingest.Internal.Intake;

/// <summary>
/// Batches kept for reuse, so the receive side does not allocate in steady state. None exists
/// at start: a Rent that finds the set empty allocates, and every batch returned stays in the
/// set, which so grows to the peak number in use at once (at most the channel's capacity plus
/// one per UDP receive loop and per busy TCP connection) and no further.
/// </summary>
internal sealed class RecordBatchPool(int batchCapacity)
{
    private readonly ConcurrentQueue<RecordBatch> _free = new();

    public RecordBatch Rent()
    {
        if (_free.TryDequeue(out var batch))
            return batch;
        return new RecordBatch(batchCapacity);
    }

    public void Return(RecordBatch batch)
    {
        batch.Count = 0;
        batch.Reserved = 0;
        _free.Enqueue(batch);
    }
}
