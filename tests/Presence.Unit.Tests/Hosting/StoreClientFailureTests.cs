using Presence.Hosting;
using Presence.Query.Internal.Store;
using StackExchange.Redis;

namespace Presence.Unit.Tests.Hosting;

/// <summary>The one predicate both services use for "the store client failed" (<see cref="StoreClientFailure"/>).</summary>
public sealed class StoreClientFailureTests
{
    public static TheoryData<Exception> StoreFailures() => new()
    {
        new RedisConnectionException(ConnectionFailureType.SocketClosed, "closed"),
        new RedisTimeoutException("timeout", CommandStatus.Sent),
        new RedisServerException("ERR"),
        new TimeoutException(),
        new TaskCanceledException(),
        new InvalidOperationException("Reading is not allowed after reader was completed."),
        new ObjectDisposedException("ConnectionMultiplexer"),
    };

    public static TheoryData<Exception> Bugs() => new()
    {
        new ArgumentException("a bug"),
        new NullReferenceException(),
        new IndexOutOfRangeException(),
        new FormatException(),
    };

    [Theory]
    [MemberData(nameof(StoreFailures))]
    public void Is_WhatTheClientThrows_IsAStoreFailure_InBothServices(Exception e)
    {
        Assert.True(StoreClientFailure.Is(e));
        Assert.True(StoreFailure.IsStoreFailure(e)); // the query's catches ask the same question
        if (e is not TaskCanceledException)
            Assert.NotNull(StoreFailure.Classify(e)); // and every such failure has a status to answer with
    }

    [Theory]
    [MemberData(nameof(Bugs))]
    public void Is_ABug_IsNot(Exception e)
    {
        Assert.False(StoreClientFailure.Is(e));
        Assert.False(StoreClientFailure.Is(e, CancellationToken.None));
        Assert.False(StoreFailure.IsStoreFailure(e));
    }

    [Fact]
    public void Is_ACancellation_IsTheStoresUnlessTheStopAskedForIt()
    {
        using var stop = new CancellationTokenSource();
        Assert.True(StoreClientFailure.Is(new OperationCanceledException(), stop.Token)); // the call's own wait gave up
        Assert.True(StoreClientFailure.Is(new TaskCanceledException(), stop.Token));
        stop.Cancel();
        Assert.False(StoreClientFailure.Is(new OperationCanceledException(stop.Token), stop.Token)); // the caller's stop goes through
        Assert.False(StoreClientFailure.Is(new TaskCanceledException(), stop.Token));
        Assert.True(StoreClientFailure.Is(new RedisConnectionException(ConnectionFailureType.SocketClosed, "closed"), stop.Token));
    }
}
