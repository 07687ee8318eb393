using System.Buffers;
using Presence.Core;
using Presence.Ingest;
using Presence.Ingest.Internal.Gateway;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Intake;

namespace Presence.Fuzz;

/// <summary>
/// The fuzz targets: each takes arbitrary bytes and throws only when an invariant of the code
/// under test breaks (an exception of the code itself is a finding too). Bad input must come
/// back as a status, never as an exception (CONTRIBUTING.md, "Writing code").
/// </summary>
public static class FuzzTargets
{
    /// <summary>Names on the command line, and the targets they run.</summary>
    public static readonly IReadOnlyDictionary<string, Action<ReadOnlySpan<byte>>> All = new Dictionary<string, Action<ReadOnlySpan<byte>>>
    {
        ["parse"] = Parse,
        ["tcp"] = TcpStream,
    };

    /// <summary><see cref="FrameParser.TryParse"/> on the bytes as one datagram, with both transports' record limits.</summary>
    public static void Parse(ReadOnlySpan<byte> data)
    {
        foreach (int max in (ReadOnlySpan<int>)[FrameFormat.MaxUdpUnsignedRecords, FrameFormat.MaxTcpRecords])
        {
            var status = FrameParser.TryParse(data, out var frame, max);
            if (status != FrameStatus.Ok)
                continue;
            Check(frame.Count >= 1 && frame.Count <= max, "record count outside 1..max");
            Check(data.Length == FrameFormat.FrameSize(frame.Count, frame.IsSigned), "accepted frame of the wrong length");
            for (int i = 0; i < frame.Count; i++)
            {
                var r = frame[i];
                Check(r.UserId != 0 && r.Kind <= RecordKind.Offline, "accepted an invalid record");
                Check(frame.IsSigned ? r.Time != 0 : r.KeyId == 0, "accepted a record breaking its frame's signing rule");
            }
        }
    }

    /// <summary>
    /// The bytes as a gateway TCP stream through <see cref="GatewayFrameReader"/>, split into
    /// pipe segments at sizes taken from the first byte (so frames straddle segments, the case
    /// the connection copies), each frame then through <see cref="FrameIntake.Process"/>, as
    /// <c>GatewayConnection</c> does.
    /// </summary>
    public static void TcpStream(ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
            return;
        int segment = 1 + data[0] % 64;
        var buffer = Segments.Build(data[1..], segment);
        long total = buffer.Length;
        var batch = new RecordBatch(FrameFormat.MaxTcpRecords);
        var counters = new IntakeCounters();
        while (true)
        {
            long before = buffer.Length;
            var found = GatewayFrameReader.TryRead(ref buffer, out var frame, out int count, out var status);
            if (found == GatewayFrameResult.NeedMore)
            {
                Check(buffer.Length == before, "NeedMore consumed bytes");
                if (buffer.Length >= FrameFormat.HeaderSize)
                    Check(status == FrameStatus.Ok, "NeedMore after a bad header");
                _ = GatewayFrameReader.TruncatedStatus(buffer.Length);
                break;
            }
            if (found == GatewayFrameResult.Malformed)
            {
                Check(status != FrameStatus.Ok && buffer.Length == before, "Malformed without a reason, or consuming bytes");
                break;
            }
            Check(count >= 1 && count <= FrameFormat.MaxTcpRecords, "frame count outside 1..4096");
            Check(frame.Length >= FrameFormat.FrameSize(count, signed: false) && before - buffer.Length == frame.Length, "frame slice and advance disagree");
            byte[] copy = frame.ToArray();
            batch.Count = 0;
            bool ok = Intake.Instance.Process(copy, batch, ref counters, FrameFormat.MaxTcpRecords);
            Check(ok == (FrameParser.TryParse(copy, out _) == FrameStatus.Ok), "intake and parser disagree on a frame");
            Check(batch.Count <= count, "more records applied than the frame holds");
        }
        Check(buffer.Length <= total, "buffer grew");
    }

    /// <summary>
    /// The intake the TCP target feeds: a key ring with the spec's key 0, and a skew wide enough
    /// that signed records of any time reach the replay window, so the whole signed path runs.
    /// A class of its own so it is built on the first input, not when <see cref="All"/> is read:
    /// instrumented code must not run before SharpFuzz has set up its shared memory.
    /// </summary>
    private static class Intake
    {
        public static readonly FrameIntake Instance = Create();

        private static FrameIntake Create()
        {
            var ring = new MasterKeyRing();
            ring.Add(0, Convert.FromHexString("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"));
            var options = new IngestOptions { SkewSeconds = int.MaxValue, ReplayUsers = 1024, KeyCacheSlots = 64 };
            options.KeyRing = ring;
            return new FrameIntake(options, new IngestClock());
        }
    }

    private static void Check(bool condition, string invariant)
    {
        if (!condition)
            throw new InvariantException(invariant);
    }
}
