using Presence.Ingest.Internal.Coalesce;
using Presence.Ingest.Internal.Flush;


namespace Presence.Unit.Tests.Ingest;

public sealed class CoalescingTests
{
    [Fact]
    public void Apply_SameUserTwice_LatestReceiveTimeWinsAndCountsAbsorbed()
    {
        var w = new CoalescingWindow();
        Assert.False(w.Apply(1, 100, RecordKind.Heartbeat));
        Assert.True(w.Apply(1, 200, RecordKind.Heartbeat));
        Assert.True(w.Apply(1, 150, RecordKind.Heartbeat)); // late arrival of an older stamp: absorbed, not applied
        Assert.Equal(new UserState(200, RecordKind.Heartbeat), w.Users[1]);
        Assert.Equal(1, w.Count);
    }

    [Fact]
    public void Apply_OfflineAfterHeartbeat_OfflineWins()
    {
        var w = new CoalescingWindow();
        w.Apply(7, 100, RecordKind.Heartbeat);
        w.Apply(7, 100, RecordKind.Offline); // same millisecond, arrived later
        Assert.Equal(RecordKind.Offline, w.Users[7].Kind);
    }

    [Fact]
    public void Apply_HeartbeatAfterOffline_HeartbeatWins()
    {
        var w = new CoalescingWindow();
        w.Apply(7, 100, RecordKind.Offline);
        w.Apply(7, 101, RecordKind.Heartbeat);
        Assert.Equal(new UserState(101, RecordKind.Heartbeat), w.Users[7]);
    }

    [Fact]
    public void Merge_NewerWindow_NeverMovesTimeBackwards()
    {
        var pending = new PendingSet(100);
        var w = new CoalescingWindow();
        w.Apply(1, 500, RecordKind.Heartbeat);
        pending.Merge(w);
        w.Clear();
        w.Apply(1, 400, RecordKind.Heartbeat); // an older stamp from another receive loop
        pending.Merge(w);
        Assert.True(pending.TryGet(1, out var s));
        Assert.Equal(500, s.ReceiveMs);
    }

    [Fact]
    public void Merge_OverCapacity_RefusesNewUsersButUpdatesHeldOnes()
    {
        var pending = new PendingSet(2);
        var w = new CoalescingWindow();
        w.Apply(1, 10, RecordKind.Heartbeat);
        w.Apply(2, 10, RecordKind.Heartbeat);
        Assert.Equal(0, pending.Merge(w));
        w.Clear();
        w.Apply(2, 20, RecordKind.Heartbeat);
        w.Apply(3, 20, RecordKind.Heartbeat);
        w.Apply(4, 20, RecordKind.Heartbeat);

        Assert.Equal(2, pending.Merge(w));

        Assert.Equal(2, pending.Count);
        Assert.True(pending.TryGet(2, out var s));
        Assert.Equal(20, s.ReceiveMs);
        Assert.False(pending.TryGet(3, out _));
    }

    [Fact]
    public void Snapshot_ExpiredUsers_DroppedNotWritten()
    {
        var pending = new PendingSet(100);
        var w = new CoalescingWindow();
        w.Apply(1, 1_000, RecordKind.Heartbeat);  // expires at 31_000
        w.Apply(2, 20_000, RecordKind.Heartbeat); // expires at 50_000
        pending.Merge(w);
        PendingWrite[] writes = [];

        int count = pending.Snapshot(ref writes, nowMs: 31_000, ttlMs: 30_000, out long expired);

        Assert.Equal(1, expired);
        Assert.Equal(1, count);
        Assert.Equal(new PendingWrite(2, 20_000, RecordKind.Heartbeat, 19_000), writes[0]);
        Assert.Equal(1, pending.Count);
    }

    [Fact]
    public void Confirm_StateChangedWhileInFlight_UserStaysForNextFlush()
    {
        var pending = new PendingSet(100);
        var w = new CoalescingWindow();
        w.Apply(1, 100, RecordKind.Heartbeat);
        w.Apply(2, 100, RecordKind.Heartbeat);
        pending.Merge(w);
        PendingWrite[] writes = [];
        int count = pending.Snapshot(ref writes, 150, 30_000, out _);
        w.Clear();
        w.Apply(1, 140, RecordKind.Heartbeat); // newer record arrives while the write is in flight
        pending.Merge(w);

        foreach (var write in writes.AsSpan(0, count))
            pending.Confirm(write);

        Assert.True(pending.TryGet(1, out var s));
        Assert.Equal(140, s.ReceiveMs);
        Assert.False(pending.TryGet(2, out _));
    }

    [Fact]
    public void Backoff_Fail_DoublesUpToCapAndResets()
    {
        var b = new Backoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(350));
        Assert.Equal(100, b.Fail().TotalMilliseconds);
        Assert.Equal(200, b.Fail().TotalMilliseconds);
        Assert.Equal(350, b.Fail().TotalMilliseconds);
        Assert.Equal(350, b.Fail().TotalMilliseconds);
        b.Succeed();
        Assert.Equal(100, b.Fail().TotalMilliseconds);
    }
}
