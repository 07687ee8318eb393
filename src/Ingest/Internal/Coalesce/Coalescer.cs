using System.Threading.Channels;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Intake;

namespace Presence.Ingest.Internal.Coalesce;

/// <summary>
/// Reads record batches from the receive loops and folds them into the open window (latest
/// receive time per user wins). The flusher swaps the open window for an empty one each
/// flush interval: double buffering, so the receive side never waits on a flush.
/// </summary>
internal sealed class Coalescer
{
    private readonly ChannelReader<RecordBatch> _reader;
    private readonly RecordBatchPool _pool;
    private readonly IngestMetrics _metrics;
    private readonly PendingBudget? _room;
    private readonly Lock _lock = new();
    private CoalescingWindow _open;

    public Coalescer(ChannelReader<RecordBatch> reader, RecordBatchPool pool, IngestMetrics metrics, PendingBudget? room = null, int windowCapacity = 1024)
    {
        _reader = reader;
        _pool = pool;
        _metrics = metrics;
        _room = room;
        _open = new CoalescingWindow(windowCapacity);
    }

    /// <summary>Users in the open window (for the pending gauge).</summary>
    public int OpenCount
    {
        get
        {
            lock (_lock)
                return _open.Count;
        }
    }

    /// <summary>Runs until the channel is completed and drained.</summary>
    public async Task RunAsync()
    {
        while (await _reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (_reader.TryRead(out var batch))
            {
                Apply(batch);
                // Now held (or absorbed): the room they had reserved is counted by PendingUsers instead.
                _room?.Release(batch.Reserved);
                _pool.Return(batch);
            }
        }
    }

    /// <summary>Closes the open window and opens <paramref name="empty"/> in its place.</summary>
    public CoalescingWindow Swap(CoalescingWindow empty)
    {
        System.Diagnostics.Debug.Assert(empty.Count == 0);
        lock (_lock)
        {
            var closed = _open;
            _open = empty;
            return closed;
        }
    }

    internal void Apply(RecordBatch batch)
    {
        long absorbed = 0;
        lock (_lock)
        {
            var window = _open;
            for (int i = 0; i < batch.Count; i++)
            {
                if (window.Apply(batch.Users[i], batch.ReceiveMs, batch.Kinds[i]))
                    absorbed++;
            }
        }
        if (absorbed > 0)
            _metrics.RecordsCoalesced.Inc(absorbed);
    }
}
