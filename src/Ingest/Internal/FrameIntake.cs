using Presence.Core;

namespace Presence.Ingest.Internal;

/// <summary>Why a record that was well formed was still not applied (PROTOCOL.md, signed records).</summary>
internal enum RejectReason
{
    AuthFailed,
    Stale,
    Replayed,
    UnsignedRejected,
}

/// <summary>Malformed frames by <see cref="FrameStatus"/>.</summary>
[System.Runtime.CompilerServices.InlineArray(IngestMetrics.FrameStatusCount)]
internal struct MalformedCounts
{
    private long _first;
}

/// <summary>Per-loop counts, summed locally and published once per receive batch, never per packet.</summary>
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
    public long Dropped;

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
        if (Dropped != 0) metrics.QueueFullDropped.Inc(Dropped);
        this = default;
    }
}

/// <summary>
/// Validates one frame and appends its records to a batch: the part of receiving that UDP and
/// TCP share. A malformed frame is counted and contributes nothing.
/// </summary>
internal sealed class FrameIntake(IngestOptions options)
{
    private readonly bool _requireSigned = options.RequireSigned;

    /// <summary>Processes one datagram or stream frame.</summary>
    /// <param name="maxRecords">The most records a frame may hold on this transport.</param>
    /// <returns>False when the frame was malformed (a TCP connection is then closed).</returns>
    public bool Process(ReadOnlySpan<byte> bytes, RecordBatch batch, ref IntakeCounters counters, int maxRecords)
    {
        counters.Frames++;
        var status = FrameParser.TryParse(bytes, out var frame, maxRecords);
        if (status != FrameStatus.Ok)
        {
            CountMalformed(ref counters, status);
            return false;
        }

        if (frame.IsSigned)
        {
            // Signed verification (master keys, skew, replay window) is not built yet: no record
            // of a signed frame can be authenticated, so each is rejected as auth_failed, counted.
            counters.AuthFailed += frame.Count;
            return true;
        }
        if (_requireSigned)
        {
            counters.UnsignedRejected += frame.Count;
            return true;
        }
        for (int i = 0; i < frame.Count; i++)
        {
            var r = frame[i];
            batch.Add(r.UserId, r.Kind);
        }
        counters.Accepted += frame.Count;
        return true;
    }

    /// <summary>Counts a frame dropped whole, with its reason.</summary>
    public static void CountMalformed(ref IntakeCounters counters, FrameStatus status)
    {
        counters.Malformed++;
        counters.ByReason[(int)status]++;
    }
}
