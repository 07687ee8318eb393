using Presence.Core;
using Presence.Ingest.Internal.Infrastructure;

namespace Presence.Ingest.Internal.Intake;

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
