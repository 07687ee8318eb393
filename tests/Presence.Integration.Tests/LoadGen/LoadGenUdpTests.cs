using System.Globalization;
using System.Text.Json;
using Presence.Core;
using Presence.Testing;

namespace Presence.Integration.Tests.LoadGen;

/// <summary>presence-loadgen against a real UDP socket on 127.0.0.1: what reaches the wire.</summary>
[Collection(RedisCollection.Name)]
public sealed class LoadGenUdpTests
{
    [Theory]
    [InlineData("sendmmsg", 1)]
    [InlineData("sendmmsg", 7)]
    [InlineData("socket", 1)]
    [InlineData("socket", 7)]
    public async Task Run_UsersIntervalPerFrame_EveryFrameDecodesAndCoversExactlyTheUsers(string sender, int perFrame)
    {
        using var capture = new UdpCapture();
        const int users = 300;
        const ulong first = 5000;

        var run = await LoadGenProcess.Run("--target", capture.Target, "--users", $"{users}", "--first-id", $"{first}",
            "--interval", "1", "--duration", "2.2", "--per-frame", $"{perFrame}", "--sender", sender, "--json");

        Assert.Equal(0, run.ExitCode);
        long sent = run.Long("framesSent");
        var frames = await capture.AllOf(sent);
        Assert.Equal(sent, frames.Count);
        Assert.Equal(sent * perFrame, run.Long("recordsSent"));
        Assert.Equal(0, run.Long("errors"));
        Assert.Equal(users, run.Long("usersCovered"));

        var now = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var records = new List<HeartbeatRecord>();
        foreach (var (_, bytes) in frames)
        {
            Assert.Equal(FrameStatus.Ok, FrameParser.TryParse(bytes, out var frame, FrameFormat.MaxUdpUnsignedRecords));
            Assert.False(frame.IsSigned);
            Assert.Equal(perFrame, frame.Count);
            for (int i = 0; i < frame.Count; i++)
                records.Add(frame[i]);
        }
        Assert.Equal(Enumerable.Range(0, users).Select(i => first + (ulong)i), records.Select(r => r.UserId).Distinct().Order());
        Assert.All(records, r => Assert.InRange(r.Time, now - 10, now));
        Assert.All(records, r => Assert.Equal(RecordKind.Heartbeat, r.Kind));
        // About two intervals: every user two or three times (once where a starved machine ends the
        // run before the last slots went), its seq counting up from 0.
        foreach (var user in records.GroupBy(r => r.UserId))
        {
            Assert.InRange(user.Count(), 1, 3);
            Assert.Equal(Enumerable.Range(0, user.Count()), user.Select(r => (int)r.Seq).Order());
        }
    }

    [Theory]
    [InlineData(2000, "--users", "1000000", "--interval", "0")]      // flooding, held by the cap alone
    [InlineData(1500, "--users", "100000", "--interval", "10")]      // the schedule wants 10,000/s; the cap holds it to 1,500
    [InlineData(400, "--users", "100000", "--interval", "0", "--per-frame", "32", "--sender", "socket")]
    public async Task Run_RateCap_NeverExceededByMoreThanTenPercentOverFiveSeconds(int rate, params string[] more)
    {
        using var capture = new UdpCapture();

        var run = await LoadGenProcess.Run(["--target", capture.Target, "--rate", $"{rate}", "--duration", "5", "--json", .. more]);

        Assert.Equal(0, run.ExitCode);
        long sent = run.Long("framesSent");
        double elapsed = run.Summary.GetProperty("elapsedSeconds").GetDouble();
        // The run lasts its duration; how far past it the last send ends depends on when the
        // sender's thread gets a core again, so the upper bound only says that it ended.
        Assert.InRange(elapsed, 5, 15);
        // The cap holds, and never more than a token over it: the bucket starts with one and gains
        // rate a second. How close to the cap a loaded machine gets is a benchmark's question; that
        // the bucket grants the full rate is RateLimiterTests', on a clock of its own.
        Assert.InRange(sent, 1, rate * elapsed * 1.1);
        // Seen from the receiver, over the whole run, in the kernel's receive times: every frame
        // reached the socket, and no stretch of the run went faster than the cap.
        var frames = await capture.AllOf(sent);
        double span = (frames[^1].At - frames[0].At).TotalSeconds;
        Assert.InRange(frames.Count / span, 0, rate * 1.1);
    }

    [Theory]
    [InlineData(null, 9)]
    [InlineData("2", 2)]
    public async Task Run_Signed_EveryRecordVerifiesWithTheKeyFile(string? keyId, byte expectedKeyId)
    {
        using var capture = new UdpCapture();
        var keyFile = Path.GetTempFileName();
        try
        {
            File.WriteAllText(keyFile, $"# test keys\n2:{RandomHex()}\n9:{RandomHex()}\n");
            var ring = MasterKeyRing.Parse(File.ReadAllText(keyFile));
            string[] args = ["--target", capture.Target, "--keys", keyFile, "--users", "200", "--interval", "0.5",
                "--duration", "1.2", "--per-frame", "45", "--dup", "0.2", "--json"];
            if (keyId is not null)
                args = [.. args, "--key-id", keyId];

            var run = await LoadGenProcess.Run(args);

            Assert.Equal(0, run.ExitCode);
            Assert.True(run.Summary.GetProperty("signed").GetBoolean());
            long sent = run.Long("framesSent");
            Assert.True(sent > 0);
            var key = new byte[Signing.DeviceKeySize];
            int verified = 0;
            foreach (var (_, bytes) in await capture.AllOf(sent))
            {
                Assert.Equal(FrameStatus.Ok, FrameParser.TryParse(bytes, out var frame, FrameFormat.MaxUdpSignedRecords));
                Assert.True(frame.IsSigned);
                for (int i = 0; i < frame.Count; i++)
                {
                    Assert.Equal(expectedKeyId, frame[i].KeyId);
                    ring.GetDeviceKey(frame[i].UserId, expectedKeyId, key);
                    Assert.True(Signing.VerifyRecord(frame, i, key), $"user {frame[i].UserId}");
                    verified++;
                }
            }
            Assert.Equal(run.Long("recordsSent"), verified);
        }
        finally
        {
            File.Delete(keyFile);
        }
    }

    [Fact]
    public async Task Run_NobodyListening_CountsErrorsAndFinishes()
    {
        // A connected UDP socket hears the ICMP port-unreachable and fails the next send with
        // ECONNREFUSED: counted, skipped, and the run goes on.
        var run = await LoadGenProcess.Run("--target", $"127.0.0.1:{FreePort.Udp()}", "--users", "2000", "--interval", "1",
            "--duration", "1", "--sender", "sendmmsg", "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.True(run.Long("errors") > 0, run.Stdout);
        Assert.Contains("errors", run.Stderr); // the progress lines report them too
    }

    [Fact]
    public async Task Run_LastSent_FileHoldsEachUsersLastSendTime_InTheOrderTheirLastRecordsArrived()
    {
        using var capture = new UdpCapture();
        var path = Path.GetTempFileName();
        try
        {
            const int users = 500;
            const ulong first = 9000;
            long before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            var run = await LoadGenProcess.Run("--target", capture.Target, "--users", $"{users}", "--first-id", $"{first}",
                "--interval", "0.5", "--duration", "1.2", "--per-frame", "4", "--last-sent", path, "--json");
            long after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

            Assert.Equal(0, run.ExitCode);
            Assert.Equal(0, run.Long("errors"));
            long sent = run.Long("framesSent");
            await Eventually.Until(() => capture.Count >= sent, $"{sent} frames received");
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(users * 8, bytes.Length);
            var sentMs = Enumerable.Range(0, users).Select(i => System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8 * i))).ToArray();
            Assert.All(sentMs, ms => Assert.InRange(ms, before, after));

            // Where each user's last record arrived (frame order on loopback is send order): a user
            // whose last record came later was last sent no earlier.
            var lastFrame = new Dictionary<ulong, int>();
            var frames = capture.Frames();
            for (int f = 0; f < frames.Count; f++)
            {
                Assert.Equal(FrameStatus.Ok, FrameParser.TryParse(frames[f].Bytes, out var frame, FrameFormat.MaxUdpUnsignedRecords));
                for (int r = 0; r < frame.Count; r++)
                    lastFrame[frame[r].UserId] = f;
            }
            Assert.Equal(users, lastFrame.Count);
            var byArrival = lastFrame.OrderBy(kv => kv.Value).Select(kv => sentMs[(int)(kv.Key - first)]).ToArray();
            for (int i = 1; i < byArrival.Length; i++)
                Assert.True(byArrival[i] >= byArrival[i - 1], $"user {i}: {byArrival[i]} < {byArrival[i - 1]}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task Run_LastSentInAMissingDirectory_ExitsTwoNamingTheOption()
    {
        var run = await LoadGenProcess.Run("--target", "127.0.0.1:9", "--users", "10", "--duration", "1",
            "--last-sent", Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "sent.bin"));

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("presence-loadgen: --last-sent:", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_NotATerminal_PlainProgressLinesOnStderr_OneJsonObjectOnStdout()
    {
        using var capture = new UdpCapture();

        var run = await LoadGenProcess.Run("--target", capture.Target, "--users", "100", "--interval", "1", "--duration", "4.5", "--json");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(JsonValueKind.Object, run.Summary.ValueKind);
        Assert.Single(run.Stdout.TrimEnd('\n').Split('\n'));
        var lines = run.Stderr.TrimEnd('\n').Split('\n');
        // Every 2 s and a last one: normally 3; a loaded machine may skip a tick, never add many.
        Assert.InRange(lines.Length, 1, 4);
        Assert.All(lines, l => Assert.Matches(@"^\s*[\d.]+ s\s+[\d,]+ frames/s\s+[\d,]+ records/s\s+users [\d,]+/100\s+errors \d+$", l));
        Assert.DoesNotContain('\r', run.Stderr);
    }

    private static string RandomHex() => Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)).ToLower(CultureInfo.InvariantCulture);
}
