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
/// Validates one frame and appends its accepted records to a batch: the part of receiving that
/// UDP and TCP share. A malformed frame is counted and contributes nothing. Records of a signed
/// frame are checked one by one, in PROTOCOL.md's order: tag (constant time), time skew, replay
/// window (advanced only after the tag verified); a failing record is dropped and counted alone.
/// Thread-safe: receive loops and TCP connections share one instance.
/// </summary>
internal sealed class FrameIntake
{
    private readonly bool _requireSigned;
    private readonly long _skewSeconds;
    private readonly IngestClock _clock;
    private readonly ReplayGuard _replay;
    private readonly int _keyCacheSlots;
    private volatile DeviceKeyCache? _keys;

    public FrameIntake(IngestOptions options, IngestClock clock)
    {
        _requireSigned = options.RequireSigned;
        _skewSeconds = options.SkewSeconds;
        _clock = clock;
        _replay = new ReplayGuard(options.ReplayUsers);
        _keyCacheSlots = options.KeyCacheSlots;
        if (options.KeyRing is not null)
            _keys = new DeviceKeyCache(options.KeyRing, _keyCacheSlots);
    }

    /// <summary>Users whose replay windows were forgotten to stay within --replay-users.</summary>
    public long ReplayEvicted => Interlocked.Read(ref _replay.Evicted);

    /// <summary>Device keys derived (cache misses).</summary>
    public long KeyDerivations => _keys is { } k ? Interlocked.Read(ref k.Misses) : 0;

    /// <summary>Replaces the master keys (rotation); records signed with a key id no longer present fail authentication.</summary>
    public void ReplaceKeys(Presence.Core.MasterKeyRing ring) => _keys = new DeviceKeyCache(ring, _keyCacheSlots);

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
            ProcessSigned(frame, batch, ref counters);
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

    private void ProcessSigned(in Frame frame, RecordBatch batch, ref IntakeCounters counters)
    {
        var keys = _keys;
        if (keys is null)
        {
            // No master keys configured: nothing signed can be authenticated.
            counters.AuthFailed += frame.Count;
            return;
        }
        long now = _clock.NowMs / 1000;
        HmacSha256Key key = default;
        for (int i = 0; i < frame.Count; i++)
        {
            var r = frame[i];
            if (!keys.TryGet(r.UserId, r.KeyId, out key) || !Signing.VerifyRecord(frame, i, key))
            {
                counters.AuthFailed++;
                continue;
            }
            if (Math.Abs(now - r.Time) > _skewSeconds)
            {
                counters.Stale++;
                continue;
            }
            if (!_replay.TryAccept(r.UserId, r.Seq))
            {
                counters.Replayed++;
                continue;
            }
            batch.Add(r.UserId, r.Kind);
            counters.Accepted++;
        }
        key.Clear();
    }

    /// <summary>Counts a frame dropped whole, with its reason.</summary>
    public static void CountMalformed(ref IntakeCounters counters, FrameStatus status)
    {
        counters.Malformed++;
        counters.ByReason[(int)status]++;
    }
}
