using System.Threading.Channels;
using Presence.Ingest.Internal.Infrastructure;

namespace Presence.Ingest.Internal.Intake;

/// <summary>
/// What every receive path (the UDP loops and each TCP connection) needs to turn frames into
/// record batches for the coalescer: one per host, shared.
/// </summary>
internal sealed record ReceiveContext(
    FrameIntake Intake,
    ChannelWriter<RecordBatch> Output,
    RecordBatchPool Pool,
    IngestMetrics Metrics,
    IngestClock Clock,
    ILogger Logger);
