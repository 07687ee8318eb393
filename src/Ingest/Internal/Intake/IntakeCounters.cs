using Presence.Core;

namespace Presence.Ingest.Internal.Intake;

/// <summary>
/// Per-loop counts, summed locally and published once per receive batch, never per packet, and
/// before the batch is handed to the coalescer (so a count never lags what it counts downstream).
/// </summary>
internal struct IntakeCounters
{
    public MalformedCounts ByReason;
    public long Frames;
    public long Malformed;
    public long Accepted;
    public long AuthFailed;
    public long Stale;
    public long Replayed;
    public long UnsignedRejected;

    public void Publish(IngestMetrics metrics)
    {
        if (Frames != 0) metrics.FramesReceived.Inc(Frames);
        if (Malformed != 0)
        {
            metrics.FramesMalformed.Inc(Malformed);
            for (int i = 1; i < IngestMetrics.FrameStatusCount; i++)
                if (ByReason[i] != 0) metrics.Malformed((FrameStatus)i).Inc(ByReason[i]);
        }
        if (Accepted != 0) metrics.RecordsAccepted.Inc(Accepted);
        if (AuthFailed != 0) metrics.Rejected(RejectReason.AuthFailed).Inc(AuthFailed);
        if (Stale != 0) metrics.Rejected(RejectReason.Stale).Inc(Stale);
        if (Replayed != 0) metrics.Rejected(RejectReason.Replayed).Inc(Replayed);
        if (UnsignedRejected != 0) metrics.Rejected(RejectReason.UnsignedRejected).Inc(UnsignedRejected);
        this = default;
    }
}
