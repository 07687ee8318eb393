using System.Threading.Channels;
using Presence.Core.Resp;
using Presence.Ingest.Internal.Coalesce;
using Presence.Ingest.Internal.Flush;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Intake;
using Presence.Ingest.Internal.Store;
using Presence.Ingest.Internal.Udp;
using StackExchange.Redis;

namespace Presence.Ingest;

/// <summary>Start-up: the path from the receivers to the store (bounded channel → coalescer → flusher → store).</summary>
public sealed partial class IngestHost
{
    /// <summary>
    /// Builds the path, idle until <see cref="StartPipeline"/>: the bounded channel of record batches,
    /// the coalescer, the store writer and the flusher (with --events on, the events pieces it reports
    /// to: <see cref="CreateEvents"/>). Returns what the receivers share with it: the batch pool, and
    /// the pending budget (room under --max-pending).
    /// </summary>
    private (RecordBatchPool Pool, PendingBudget Room) CreatePipeline(IDatabase database)
    {
        _channel = Channel.CreateBounded<RecordBatch>(new BoundedChannelOptions(_options.QueueBatches)
        {
            SingleReader = true,
            SingleWriter = _options.Receivers == 1 && _options.TcpEndPoint is null,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails, and the receive loop counts the drop
        });
        var pool = new RecordBatchPool(ReceiveLoop.RecordsPerBatch);
        var room = new PendingBudget(_options.MaxPending, () => _flusher?.PendingUsers ?? 0);
        _coalescer = new Coalescer(_channel.Reader, pool, Metrics, room);
        IStoreWriter writer = new StoreWriter(database, _options.Prefix, readOldValue: _options.EventsOn, answerWithin: _store!.AnswerWithin);
        if (_options.DirectWrites && _store.CanWriteDirect)
        {
            var config = _store.Configuration;
            var store = _store;
            _directWriter = new DirectStoreWriter(config.EndPoints[0], RespSetUp.From(config.User, config.Password, config.DefaultDatabase, config.ClientName),
                _options.Prefix, readOldValue: _options.EventsOn, _store.AnswerWithin, fallback: writer, useDirect: () => !store.IsCluster);
            writer = _directWriter;
        }
        IngestLog.StoreWritesPath(_logger, _directWriter is null
            ? _options.DirectWrites ? "through StackExchange.Redis (the store is not one plain node)" : "through StackExchange.Redis (--store-writes multiplexer)"
            : "over the ingester's own pipelined connection (while the store is not a cluster; --store-writes)");
        if (_options.EventsOn)
            CreateEvents(database);
        _flusher = new Flusher(_coalescer, writer, _options, Metrics, _clock, _logger, room, _transitions);
        return (pool, room);
    }

    /// <summary>Runs the coalescer and the flusher (and the events pieces: <see cref="StartEvents"/>), before any receiver starts.</summary>
    private void StartPipeline(IDatabase database)
    {
        _coalescerTask = Task.Run(_coalescer!.RunAsync);
        _flusherTask = Task.Run(() => _flusher!.RunAsync(_stopFlushing.Token));
        StartEvents(database);
    }
}
