using Presence.LoadGen.Internal;

namespace Presence.Unit.Tests.LoadGen;

/// <summary>The frame builder with <c>--churn</c>: silent slots send nothing, sign-outs are kind 1, frames stay full and never early.</summary>
public sealed class FrameBuilderChurnTests
{
    // 100 users, a slot every 10 ms (1 s interval); 10 churn: active 3 s, silent 5 s, half sign out.
    private static HeartbeatSchedule Schedule(int users = 100) =>
        new(1, users, intervalSeconds: 1, churn: new ChurnPlan(users, 0.1, 3, 5, 0.5));

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    public void Build_TimeAdvancing_SendsWhatEachSlotSaysInSlotOrder(int perFrame)
    {
        var schedule = Schedule();
        var builder = new FrameBuilder(schedule, perFrame);
        var sent = new List<HeartbeatRecord>();
        var batch = new FrameBatch();
        for (double t = 0; t < 20; t += 0.05) // 20 s: two and a half churn periods, in steps of 5 slots
        {
            long due = schedule.SlotsDueAt(t);
            batch.Clear();
            builder.Build(batch, (int)Math.Min(builder.FramesReady(due), batch.Capacity), LoadGenFrames.Now, due);
            Assert.True(builder.SlotsBuilt <= due, $"at {t} s: slot {builder.SlotsBuilt - 1} taken, only {due} due");
            var frames = LoadGenFrames.Decode(batch);
            Assert.All(frames, f => Assert.Equal(perFrame, f.Length)); // full frames only
            sent.AddRange(frames.SelectMany(f => f));
        }
        batch.Clear();
        builder.BuildRest(batch);
        sent.AddRange(LoadGenFrames.Decode(batch).SelectMany(f => f));

        var expected = new List<(ulong User, RecordKind Kind)>();
        for (long slot = 0; slot < builder.SlotsBuilt; slot++)
        {
            var action = schedule.ActionAt(slot);
            if (action != SlotAction.Silent)
                expected.Add((schedule.UserAt(slot), action == SlotAction.SignOut ? RecordKind.Offline : RecordKind.Heartbeat));
        }
        Assert.Equal(expected, sent.Select(r => (r.UserId, r.Kind)));
        Assert.Equal(sent.Count(r => r.Kind == RecordKind.Offline), builder.SignOutsBuilt);
        Assert.Equal(builder.SlotsBuilt - sent.Count, builder.SilentSlots);
        // 10 churning users over 20 s of 8 s cycles: each falls silent twice or three times, half of them by signing out.
        Assert.InRange(builder.SignOutsBuilt, 5 * 2, 5 * 3);
        Assert.InRange(builder.SilentSlots, 5 * 2 * 4, 10 * 3 * 5);
    }

    [Fact]
    public void Build_SilentSlotsLeaveAFrameShort_KeepsItForTheNextCall_NeverTakesSlotsNotDue()
    {
        // One user, churning: active 1 s, silent 2 s, slots 0.25 s apart: 4 records, then 8 silent slots.
        var schedule = new HeartbeatSchedule(5, 1, 0.25, churn: new ChurnPlan(1, 1, 1, 2, 0));
        var builder = new FrameBuilder(schedule, perFrame: 3);
        var batch = new FrameBatch();

        long due = schedule.SlotsDueAt(0.5); // slots 0, 1, 2: one frame
        Assert.Equal(1, builder.Build(batch, 1, LoadGenFrames.Now, due));
        due = schedule.SlotsDueAt(2.9); // slot 3 active, slots 4 … 11 silent
        batch.Clear();
        Assert.Equal(3, builder.FramesReady(due)); // an upper bound: silent slots are not known in advance
        Assert.Equal(0, builder.Build(batch, 3, LoadGenFrames.Now, due));
        Assert.Equal(0, batch.Count);
        Assert.Equal(due, builder.SlotsBuilt);
        Assert.Equal(due + 1, builder.NextFrameSlot); // two more records are needed

        due = schedule.SlotsDueAt(3.25); // slots 12, 13 active again: the frame is complete
        Assert.Equal(1, builder.Build(batch, 1, LoadGenFrames.Now, due));
        var frame = Assert.Single(LoadGenFrames.Decode(batch));
        Assert.Equal([3, 4, 5], frame.Select(r => (int)r.Seq)); // the user's 4th, 5th and 6th heartbeats
        Assert.False(builder.BuildRest(batch));
    }

    [Fact]
    public void BuildRest_SendsTheFrameBegun_AsAShortFrame()
    {
        var schedule = new HeartbeatSchedule(5, 1, 0.25, churn: new ChurnPlan(1, 1, 1, 2, 0));
        var builder = new FrameBuilder(schedule, perFrame: 3);
        var batch = new FrameBatch();
        builder.Build(batch, 2, LoadGenFrames.Now, schedule.SlotsDueAt(2.9)); // one frame, and one record begun
        batch.Clear();

        Assert.True(builder.BuildRest(batch));
        var frame = Assert.Single(LoadGenFrames.Decode(batch));
        Assert.Equal([3], frame.Select(r => (int)r.Seq));
    }

    [Fact]
    public void Build_Duplicates_RepeatOnlyUsersHeartbeatingAtTheirSlot()
    {
        const int window = 50;
        var schedule = Schedule(1_000); // a slot every ms
        var builder = new FrameBuilder(schedule, perFrame: 1, dupShare: 1, dupWindow: window);
        var batch = new FrameBatch();
        int checkedDuplicates = 0, churningDuplicates = 0;
        for (double t = 0; t < 17; t += 0.02)
        {
            long due = schedule.SlotsDueAt(t);
            while (true)
            {
                long before = builder.SlotsBuilt;
                long dupsBefore = builder.DuplicatesBuilt;
                batch.Clear();
                if (builder.Build(batch, 1, LoadGenFrames.Now, due) == 0)
                    break;
                if (builder.DuplicatesBuilt == dupsBefore)
                    continue;
                // A duplicate comes before any new slot is taken, and repeats one of the last slots.
                Assert.Equal(before, builder.SlotsBuilt);
                var record = Assert.Single(Assert.Single(LoadGenFrames.Decode(batch)));
                Assert.Equal(RecordKind.Heartbeat, record.Kind);
                long slot = Enumerable.Range(1, window).Select(back => before - back).Single(s => s >= 0 && schedule.UserAt(s) == record.UserId);
                Assert.Equal(SlotAction.Heartbeat, schedule.ActionAt(slot));
                checkedDuplicates++;
                if (schedule.Churn!.IsChurning(schedule.IndexAt(slot), out _))
                    churningDuplicates++;
            }
        }
        Assert.True(checkedDuplicates > 10_000, $"{checkedDuplicates} duplicates");
        Assert.True(churningDuplicates > 0); // churning users are repeated too, while active
        Assert.True(builder.SilentSlots > 0);
    }

    [Fact]
    public void UsersCovered_WithChurn_CountsOnlyUsersThatSent()
    {
        var schedule = Schedule();
        var builder = new FrameBuilder(schedule, perFrame: 1);
        var batch = new FrameBatch();
        long due = schedule.SlotsDueAt(0.999); // the first round
        var sent = new HashSet<ulong>();
        while (builder.SlotsBuilt < due)
        {
            batch.Clear();
            builder.Build(batch, batch.Capacity, LoadGenFrames.Now, due);
            sent.UnionWith(LoadGenFrames.Decode(batch).SelectMany(f => f).Select(r => r.UserId));
        }
        int sentUsers = sent.Count;
        Assert.Equal(100, builder.SlotsCovered);
        Assert.Equal(sentUsers, builder.UsersCovered);
        Assert.InRange(builder.UsersCovered, 90, 99); // the churning users in their silent part at the start sent nothing
    }
}
