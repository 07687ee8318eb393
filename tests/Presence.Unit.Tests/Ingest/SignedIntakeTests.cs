using CsCheck;
using Presence.Ingest;
using Presence.Ingest.Internal;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Intake;

namespace Presence.Unit.Tests.Ingest;

public sealed class SignedIntakeTests
{
    private static readonly byte[] s_master0 = Vectors.MasterKey(0);
    private static readonly byte[] s_master7 = Vectors.MasterKey(7);

    private static MasterKeyRing Ring(params byte[] ids)
    {
        var ring = new MasterKeyRing();
        foreach (var id in ids)
            ring.Add(id, id == 0 ? s_master0 : s_master7);
        return ring;
    }

    private static uint Now => (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    private static (FrameIntake Intake, RecordBatch Batch) Intake(MasterKeyRing? ring, int skew = 60)
    {
        var options = new IngestOptions { SkewSeconds = skew, KeyCacheSlots = 64, ReplayUsers = 1024 };
        options.KeyRing = ring;
        return (new FrameIntake(options, new IngestClock()), new RecordBatch(8192));
    }

    private static byte[] Signed(IDeviceKeySource keys, params HeartbeatRecord[] records)
    {
        var buffer = new byte[FrameFormat.FrameSize(records.Length, signed: true)];
        FrameWriter.WriteSigned(buffer, records, keys);
        return buffer;
    }

    private static IntakeCounters Run(FrameIntake intake, RecordBatch batch, byte[] frame)
    {
        var counters = new IntakeCounters();
        intake.Process(frame, batch, ref counters, FrameFormat.MaxTcpRecords);
        return counters;
    }

    [Fact]
    public void ReplayWindow_InOrderDuplicateAndOld_AsSpecified()
    {
        var w = new ReplayWindow();
        Assert.True(w.TryAccept(100));
        Assert.False(w.TryAccept(100));          // already seen
        Assert.True(w.TryAccept(99));            // inside the window, unseen
        Assert.False(w.TryAccept(99));
        Assert.True(w.TryAccept(163));           // advances; 100 is now highest − 63
        Assert.False(w.TryAccept(100));          // still inside, already seen
        Assert.True(w.TryAccept(101));           // inside, unseen
        Assert.False(w.TryAccept(99));           // highest − 64: at the edge, dropped
        Assert.False(w.TryAccept(5));            // far below
    }

    [Fact]
    public void ReplayWindow_SeqWraps_NewerAfter65535Accepted()
    {
        var w = new ReplayWindow();
        Assert.True(w.TryAccept(65530));
        Assert.True(w.TryAccept(2));             // 8 ahead across the wrap
        Assert.False(w.TryAccept(65530));
        Assert.True(w.TryAccept(65535));         // inside the window behind the wrap, unseen
    }

    [Fact]
    public void Process_ValidSignedRecords_Accepted()
    {
        var ring = Ring(0, 7);
        var (intake, batch) = Intake(ring);
        var frame = Signed(ring, new HeartbeatRecord(42, Now, 1, RecordKind.Heartbeat, 0), new HeartbeatRecord(43, Now, 1, RecordKind.Heartbeat, 7));

        var c = Run(intake, batch, frame);

        Assert.Equal(2, c.Accepted);
        Assert.Equal([42UL, 43UL], batch.Users[..batch.Count]);
    }

    [Fact]
    public void Process_AnySingleBitFlipped_NoRecordAccepted()
    {
        var ring = Ring(0, 7);
        Gen.Select(Gen.ULong[1, ulong.MaxValue], Gen.UShort, Gen.Int[0, FrameFormat.FrameSize(1, true) * 8 - 1], (user, seq, bit) => (user, seq, bit))
            .Sample(t =>
            {
                var (intake, batch) = Intake(ring);
                var frame = Signed(ring, new HeartbeatRecord(t.user, Now, t.seq, RecordKind.Heartbeat, 0));
                frame[t.bit / 8] ^= (byte)(1 << (t.bit % 8));

                var c = Run(intake, batch, frame);

                Assert.Equal(0, c.Accepted);
                Assert.Equal(1, c.Malformed + c.AuthFailed); // structurally broken, or its tag no longer fits
            }, iter: 3000);
    }

    [Fact]
    public void Process_RandomTags_NeverAccepted()
    {
        var ring = Ring(0);
        Gen.Select(Gen.ULong[1, ulong.MaxValue], Gen.Byte.Array[16], (user, tag) => (user, tag)).Sample(t =>
        {
            var (intake, batch) = Intake(ring);
            var frame = Signed(ring, new HeartbeatRecord(t.user, Now, 1, RecordKind.Heartbeat, 0));
            t.tag.CopyTo(frame, FrameFormat.HeaderSize + HeartbeatRecord.Size);

            var c = Run(intake, batch, frame);

            Assert.Equal(0, c.Accepted);
            Assert.Equal(1, c.AuthFailed);
        }, iter: 3000);
    }

    [Fact]
    public void Process_KeyDerivedForUserA_NeverVerifiesForUserB()
    {
        var ring = Ring(0);
        Gen.Select(Gen.ULong[1, ulong.MaxValue], Gen.ULong[1, ulong.MaxValue], (a, b) => (a, b)).Where(t => t.a != t.b).Sample(t =>
        {
            var (intake, batch) = Intake(ring);
            var deviceKeyOfA = Signing.DeriveDeviceKey(s_master0, t.a);
            var buffer = new byte[FrameFormat.FrameSize(1, true)];
            FrameWriter.WriteSigned(buffer, [new HeartbeatRecord(t.b, Now, 1, RecordKind.Heartbeat, 0)], deviceKeyOfA);

            var c = Run(intake, batch, buffer);

            Assert.Equal(1, c.AuthFailed);
        }, iter: 300);
    }

    [Fact]
    public void Process_Replays_InsideAndBeyondWindow_Dropped()
    {
        var ring = Ring(0);
        var (intake, batch) = Intake(ring);
        byte[] Frame(ushort seq) => Signed(ring, new HeartbeatRecord(5, Now, seq, RecordKind.Heartbeat, 0));

        Assert.Equal(1, Run(intake, batch, Frame(1000)).Accepted);
        Assert.Equal(1, Run(intake, batch, Frame(1000)).Replayed);   // the same frame again
        Assert.Equal(1, Run(intake, batch, Frame(990)).Accepted);    // late but unseen, inside the window
        Assert.Equal(1, Run(intake, batch, Frame(1100)).Accepted);
        Assert.Equal(1, Run(intake, batch, Frame(1000)).Replayed);   // now beyond the window
    }

    [Fact]
    public void Process_ForgedRecord_DoesNotAdvanceReplayWindow()
    {
        var ring = Ring(0);
        var (intake, batch) = Intake(ring);
        var forged = Signed(ring, new HeartbeatRecord(5, Now, 5000, RecordKind.Heartbeat, 0));
        forged[^1] ^= 1;
        Assert.Equal(1, Run(intake, batch, forged).AuthFailed);

        // Had the forgery moved the window to 5000, seq 10 would now be "old".
        var genuine = Signed(ring, new HeartbeatRecord(5, Now, 10, RecordKind.Heartbeat, 0));
        Assert.Equal(1, Run(intake, batch, genuine).Accepted);
    }

    [Fact]
    public void Process_TimeSkew_BeyondLimitStale()
    {
        var ring = Ring(0);
        var (intake, batch) = Intake(ring, skew: 60);

        Assert.Equal(1, Run(intake, batch, Signed(ring, new HeartbeatRecord(1, Now - 120, 1, RecordKind.Heartbeat, 0))).Stale);
        Assert.Equal(1, Run(intake, batch, Signed(ring, new HeartbeatRecord(2, Now + 120, 1, RecordKind.Heartbeat, 0))).Stale);
        Assert.Equal(1, Run(intake, batch, Signed(ring, new HeartbeatRecord(3, Now - 30, 1, RecordKind.Heartbeat, 0))).Accepted);
    }

    [Fact]
    public void ReplaceKeys_Rotation_BothIdsThenOnlyTheNew()
    {
        var both = Ring(0, 7);
        var (intake, batch) = Intake(both);
        Assert.Equal(1, Run(intake, batch, Signed(both, new HeartbeatRecord(1, Now, 1, RecordKind.Heartbeat, 0))).Accepted);
        Assert.Equal(1, Run(intake, batch, Signed(both, new HeartbeatRecord(2, Now, 1, RecordKind.Heartbeat, 7))).Accepted);

        intake.ReplaceKeys(Ring(7));

        Assert.Equal(1, Run(intake, batch, Signed(both, new HeartbeatRecord(1, Now, 2, RecordKind.Heartbeat, 0))).AuthFailed);
        Assert.Equal(1, Run(intake, batch, Signed(both, new HeartbeatRecord(2, Now, 2, RecordKind.Heartbeat, 7))).Accepted);
    }

    [Fact]
    public void Process_SignedWithoutKeys_AuthFailed()
    {
        var (intake, batch) = Intake(ring: null);
        Assert.Equal(1, Run(intake, batch, Signed(Ring(0), new HeartbeatRecord(1, Now, 1, RecordKind.Heartbeat, 0))).AuthFailed);
    }

    [Fact]
    public void Process_OneBadTagAmongMany_DropsOnlyThatRecord()
    {
        var ring = Ring(0);
        var (intake, batch) = Intake(ring);
        var frame = Signed(ring, Enumerable.Range(1, 10).Select(i => new HeartbeatRecord((ulong)i, Now, 1, RecordKind.Heartbeat, 0)).ToArray());
        frame[FrameFormat.HeaderSize + 3 * FrameFormat.SignedRecordSize + 20] ^= 0x80; // record 3's tag

        var c = Run(intake, batch, frame);

        Assert.Equal(9, c.Accepted);
        Assert.Equal(1, c.AuthFailed);
        Assert.DoesNotContain(4UL, batch.Users[..batch.Count]);
    }

    [Fact]
    public void KeyFile_ReadableByOthers_RefusedWithChmodHint()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "0:" + Convert.ToHexString(s_master0) + "\n");
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
            var e = Assert.Throws<ArgumentException>(() => KeyFile.Load(path));
            Assert.Contains("chmod 600", e.Message);
            Assert.DoesNotContain(Convert.ToHexString(s_master0), e.Message, StringComparison.OrdinalIgnoreCase);

            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Assert.Equal([0], KeyFile.Load(path).KeyIds.Select(k => (int)k));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
