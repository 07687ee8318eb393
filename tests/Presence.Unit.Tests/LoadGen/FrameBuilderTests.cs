using Presence.LoadGen.Internal;

namespace Presence.Unit.Tests.LoadGen;

public sealed class FrameBuilderTests
{
    [Theory]
    [InlineData(100, 1)]
    [InlineData(100, 7)]
    [InlineData(1000, 32)]
    [InlineData(91, 91)]
    public void Build_OneInterval_EveryUserOnceInFullFramesInScheduleOrder(int users, int perFrame)
    {
        var schedule = new HeartbeatSchedule(42, users, intervalSeconds: 10);
        var builder = new FrameBuilder(schedule, perFrame);
        // Just before the interval ends, every slot of the first round is due.
        long ready = builder.FramesReady(schedule.SlotsDueAt(9.999));
        Assert.Equal(users / perFrame, ready);

        var batch = new FrameBatch();
        batch.Clear();
        builder.Build(batch, (int)Math.Min(ready, batch.Capacity), LoadGenFrames.Now);
        var frames = LoadGenFrames.Decode(batch);

        Assert.All(frames, f => Assert.Equal(perFrame, f.Length));
        var records = frames.SelectMany(f => f).ToArray();
        Assert.Equal(records.Length, records.Select(r => r.UserId).Distinct().Count());
        for (int i = 0; i < records.Length; i++)
        {
            Assert.Equal(new HeartbeatRecord(schedule.UserAt(i), LoadGenFrames.Now, 0, RecordKind.Heartbeat, 0), records[i]);
            Assert.InRange(records[i].UserId, 42UL, 42UL + (ulong)users - 1);
        }
        Assert.Equal(records.Length, builder.SlotsBuilt);
        Assert.Equal(records.Length, builder.UsersCovered);
    }

    [Fact]
    public void FramesReady_WaitsUntilAFrameIsDue_NeverSendsEarly()
    {
        var schedule = new HeartbeatSchedule(1, 1000, 10); // a slot every 10 ms
        var builder = new FrameBuilder(schedule, perFrame: 4);

        Assert.Equal(0, builder.FramesReady(schedule.SlotsDueAt(0.029))); // slots 0..2 due
        Assert.Equal(1, builder.FramesReady(schedule.SlotsDueAt(0.030))); // slot 3 completes a frame
        builder.Build(new FrameBatch(), 1, LoadGenFrames.Now);
        Assert.Equal(0, builder.FramesReady(schedule.SlotsDueAt(0.069)));
        Assert.Equal(1, builder.FramesReady(schedule.SlotsDueAt(0.070)));
    }

    [Fact]
    public void Build_SecondRound_EachUsersSeqAdvancesByOne()
    {
        var schedule = new HeartbeatSchedule(1, 10, 1);
        var builder = new FrameBuilder(schedule, perFrame: 5);

        var records = LoadGenFrames.BuildAll(builder, 6); // three rounds of 10 users

        foreach (var user in records.GroupBy(r => r.UserId))
            Assert.Equal([0, 1, 2], user.Select(r => (int)r.Seq));
        Assert.Equal(10, builder.UsersCovered);
    }

    [Fact]
    public void Build_SeqWrapsAt65535()
    {
        var builder = new FrameBuilder(new HeartbeatSchedule(7, 1, 1), perFrame: 1);
        var records = LoadGenFrames.BuildAll(builder, 65_538);
        Assert.Equal(65_535, records[65_535].Seq);
        Assert.Equal(0, records[65_536].Seq);
        Assert.Equal(1, records[65_537].Seq);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void Build_DupShare_ThatManyExtraRecords_EachARecentUser(double dup)
    {
        // Many users, few slots: a scheduled user never repeats here, so every repeat is a duplicate.
        const int window = 16;
        var schedule = new HeartbeatSchedule(1, 1_000_000, 10);
        var builder = new FrameBuilder(schedule, perFrame: 10, dup, dupWindow: window);

        var records = LoadGenFrames.BuildAll(builder, 500);

        long scheduled = builder.SlotsBuilt;
        Assert.Equal(5000, records.Count);
        Assert.Equal(records.Count, scheduled + builder.DuplicatesBuilt);
        Assert.InRange(builder.DuplicatesBuilt, (long)Math.Floor(scheduled * dup) - 1, (long)Math.Ceiling(scheduled * dup));
        var slotOfUser = new Dictionary<ulong, long>();
        long slot = 0;
        int repeats = 0;
        foreach (var r in records)
        {
            if (slotOfUser.TryGetValue(r.UserId, out long sentAt))
            {
                repeats++;
                Assert.InRange(slot - sentAt, 1, window); // repeats a user sent within the last `window` slots
                continue;
            }
            Assert.Equal(schedule.UserAt(slot), r.UserId);
            slotOfUser[r.UserId] = slot++;
        }
        Assert.Equal(builder.DuplicatesBuilt, repeats);
    }

    [Theory]
    [InlineData(1_000_000, 4)]
    [InlineData(5, 16)] // the window reaches back over more than one round
    public void Build_Dup_CarriesTheUsersNextSeq(int users, int window)
    {
        var builder = new FrameBuilder(new HeartbeatSchedule(1, users, 10), perFrame: 8, dupShare: 1, dupWindow: window);
        var records = LoadGenFrames.BuildAll(builder, 100);
        foreach (var user in records.GroupBy(r => r.UserId))
            Assert.Equal(Enumerable.Range(0, user.Count()), user.Select(r => (int)r.Seq));
    }

    [Fact]
    public void DupWindowFor_AboutTheLast100Ms()
    {
        Assert.Equal(10_000 / 10, FrameBuilder.DupWindowFor(10_000));
        Assert.Equal(1, FrameBuilder.DupWindowFor(3));
        Assert.Equal(4096, FrameBuilder.DupWindowFor(10_000_000));
        Assert.Equal(4096, FrameBuilder.DupWindowFor(double.PositiveInfinity));
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(92, false)]
    [InlineData(46, true)]
    public void Constructor_PerFrameOutsideOneUdpFrame_Throws(int perFrame, bool signed) =>
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new FrameBuilder(new HeartbeatSchedule(1, 10, 1), perFrame, keys: signed ? Ring() : null, keyId: 1));

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.01)]
    [InlineData(double.NaN)]
    public void Constructor_DupOutside0To1_Throws(double dup) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new FrameBuilder(new HeartbeatSchedule(1, 10, 1), 1, dup));

    [Theory]
    [InlineData(91, false)]
    [InlineData(45, true)]
    public void Build_MostRecordsPerFrame_FitsOneUdpFrame(int perFrame, bool signed)
    {
        var builder = new FrameBuilder(new HeartbeatSchedule(1, 1000, 1), perFrame, keys: signed ? Ring() : null, keyId: 1);
        var batch = new FrameBatch();
        builder.Build(batch, 3, LoadGenFrames.Now);
        for (int i = 0; i < batch.Count; i++)
        {
            Assert.Equal(FrameFormat.FrameSize(perFrame, signed), batch.Frame(i).Length);
            Assert.True(batch.Frame(i).Length <= FrameFormat.MaxUdpFrameSize);
        }
    }

    [Fact]
    public void Build_Signed_EveryTagVerifiesWithTheUsersDeviceKey()
    {
        var ring = Ring();
        Assert.True(ring.TryGet(3, out var masterSpan));
        var master = masterSpan.ToArray();
        var builder = new FrameBuilder(new HeartbeatSchedule(9000, 200, 1), perFrame: 45, dupShare: 0.2, dupWindow: 8, keys: ring, keyId: 3);
        var batch = new FrameBatch();
        builder.Build(batch, 12, LoadGenFrames.Now); // 540 records: every user's kept key is used again
        builder.BuildOffline(batch, 5, LoadGenFrames.Now);

        int verified = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            Assert.Equal(FrameStatus.Ok, FrameParser.TryParse(batch.Frame(i), out var frame));
            Assert.True(frame.IsSigned);
            for (int r = 0; r < frame.Count; r++)
            {
                Assert.Equal(3, frame[r].KeyId);
                // The reference derivation (the BCL's full HKDF), not the generator's own.
                Assert.True(Signing.VerifyRecord(frame, r, Signing.DeriveDeviceKey(master, frame[r].UserId)));
                verified++;
            }
        }
        Assert.Equal(12 * 45 + 200, verified);
    }

    [Fact]
    public void BuildOffline_EveryCoveredUserOnce_LastFrameShort()
    {
        var schedule = new HeartbeatSchedule(1, 1000, 10);
        var builder = new FrameBuilder(schedule, perFrame: 8, dupShare: 0.5, dupWindow: 4);
        LoadGenFrames.BuildAll(builder, 5); // 40 records, some duplicates: fewer users covered
        long covered = builder.UsersCovered;

        var batch = new FrameBatch();
        int frames = builder.BuildOffline(batch, batch.Capacity, LoadGenFrames.Now);
        var records = LoadGenFrames.Decode(batch).SelectMany(f => f).ToArray();

        Assert.Equal((int)Math.Ceiling(covered / 8.0), frames);
        Assert.Equal(0, builder.OfflineRemaining);
        Assert.All(records, r => Assert.Equal(RecordKind.Offline, r.Kind));
        Assert.Equal(Enumerable.Range(0, (int)covered).Select(s => schedule.UserAt(s)).Order(), records.Select(r => r.UserId).Order());
        Assert.Equal(0, builder.BuildOffline(batch, 1, LoadGenFrames.Now));
    }

    private static MasterKeyRing Ring() => MasterKeyRing.Parse("1:" + new string('1', 64) + "\n3:" + new string('3', 64) + "\n");
}
