using System.Diagnostics;
using Presence.Core;
using Presence.Ingest;
using Presence.Ingest.Internal;

namespace Presence.Bench.Micro;

/// <summary>
/// <c>signed-users [USERS] [PASSES]</c>: signed intake per record when every record is a different
/// user out of USERS (default 1M), as when a large fleet heartbeats: FrameIntake.Process over
/// full signed frames with the ingest's default key cache and replay guard, pass after pass
/// (each pass re-signs with the next seq, so nothing is a replay), beside the same frames
/// unsigned. Prints ns per record per pass and the key-cache misses.
/// </summary>
internal static class SignedManyUsers
{
    public static int Run(string[] args)
    {
        int users = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000;
        int passes = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 3;
        var ring = new MasterKeyRing();
        ring.Add(1, Enumerable.Range(0, 32).Select(i => (byte)(i * 3)).ToArray());
        var options = new IngestOptions();
        options.KeyRing = ring;
        var intake = new FrameIntake(options, new IngestClock());
        int per = FrameFormat.MaxUdpSignedRecords;
        int frames = (users + per - 1) / per;
        var batch = new RecordBatch(per);
        var buffer = new byte[FrameFormat.FrameSize(per, signed: true)];
        var records = new HeartbeatRecord[per];
        Console.WriteLine($"users {users:N0}, key cache {options.KeyCacheSlots:N0}, replay users {options.ReplayUsers:N0}, native HMAC {HmacSha256Key.IsNative}");
        for (int pass = 0; pass < passes; pass++)
        {
            var signed = new byte[frames][];
            var unsigned = new byte[frames][];
            uint now = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            for (int f = 0; f < frames; f++)
            {
                for (int i = 0; i < per; i++)
                    records[i] = new HeartbeatRecord((ulong)((f * per + i) % users + 1), now, (ushort)(pass + 1), RecordKind.Heartbeat, 1);
                signed[f] = buffer.AsSpan(0, FrameWriter.WriteSigned(buffer, records, ring)).ToArray();
                unsigned[f] = IntakeHarness.Unsigned(records);
            }
            long missesBefore = intake.KeyDerivations;
            var counters = new IntakeCounters();
            var watch = Stopwatch.StartNew();
            foreach (var frame in signed)
            {
                batch.Count = 0;
                intake.Process(frame, batch, ref counters, per);
            }
            double signedNs = watch.Elapsed.TotalNanoseconds / (frames * per);
            long accepted = counters.Accepted;
            counters = new IntakeCounters();
            watch.Restart();
            foreach (var frame in unsigned)
            {
                batch.Count = 0;
                intake.Process(frame, batch, ref counters, per);
            }
            double unsignedNs = watch.Elapsed.TotalNanoseconds / (frames * per);
            Console.WriteLine($"pass {pass + 1}: signed {signedNs:F0} ns/record ({accepted:N0} accepted, {intake.KeyDerivations - missesBefore:N0} keys derived), unsigned {unsignedNs:F1} ns/record");
        }
        return 0;
    }
}
