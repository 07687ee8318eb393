using Presence.Ingest.Internal.Infrastructure;


namespace Presence.Unit.Tests.Ingest;

public sealed class PendingBudgetTests
{
    [Fact]
    public void TryReserve_UpToTheLimit_ThenRefuses_ReleaseMakesRoom()
    {
        long held = 0;
        var room = new PendingBudget(100, () => held);
        Assert.True(room.TryReserve(60));
        Assert.True(room.TryReserve(40));
        Assert.False(room.TryReserve(1));
        room.Release(40);
        held = 40; // the released records are held users now
        Assert.False(room.TryReserve(1));
        held = 30; // a flush confirmed some
        Assert.True(room.TryReserve(10));
        Assert.Equal(70, room.Reserved);
    }

    [Fact]
    public void TryReserve_BatchLargerThanLimit_AdmittedOnlyWhenNothingHeld()
    {
        long held = 1;
        var room = new PendingBudget(10, () => held);
        Assert.False(room.TryReserve(4096));
        held = 0;
        Assert.True(room.TryReserve(4096)); // else it would wait forever
        Assert.False(room.TryReserve(1));
    }

    [Fact]
    public async Task ReserveAsync_Full_WaitsUntilSignalled()
    {
        long held = 100;
        var room = new PendingBudget(100, () => Interlocked.Read(ref held));
        var waiting = room.ReserveAsync(10, CancellationToken.None).AsTask();
        room.Signal(); // nothing changed: still waiting
        await Task.Yield();
        Assert.False(waiting.IsCompleted);

        Interlocked.Exchange(ref held, 50);
        room.Signal();

        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(10, room.Reserved);
    }

    [Fact]
    public async Task ReserveAsync_Cancelled_Throws_NothingReserved()
    {
        var room = new PendingBudget(1, () => 1);
        using var cancel = new CancellationTokenSource();
        var waiting = room.ReserveAsync(1, cancel.Token).AsTask();
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        Assert.Equal(0, room.Reserved);
    }
}
