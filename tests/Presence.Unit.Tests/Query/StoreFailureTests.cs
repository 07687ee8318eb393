using Presence.Query.Internal.Store;
using StackExchange.Redis;

namespace Presence.Unit.Tests.Query;

/// <summary>How a store call's exception is answered (<see cref="StoreFailure"/>): the store's failures are a status, anything else is a bug.</summary>
public sealed class StoreFailureTests
{
    [Fact]
    public void Classify_StoreClientTornDown_InvalidOperation_IsTheStoreAway_NotAnUnhandledError()
    {
        // What StackExchange.Redis throws after a fault tore its connection down: the 30-minute fault run 18 logged it
        // as an unhandled error of /v1/presence/events nine times (the stream ended instead of being answered 503).
        var torn = new InvalidOperationException("Reading is not allowed after reader was completed.");

        Assert.Equal(StoreStatus.Unavailable, StoreFailure.Classify(torn));
        Assert.True(StoreFailure.IsStoreFailure(torn));
        Assert.Equal("the connection was torn down", StoreFailure.Reason(torn, TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void Classify_EachStoreFailure_ItsStatus_AndABugIsNone()
    {
        Assert.Equal(StoreStatus.TimedOut, StoreFailure.Classify(new TimeoutException()));
        Assert.Equal(StoreStatus.Unavailable, StoreFailure.Classify(new RedisConnectionException(ConnectionFailureType.SocketClosed, "closed")));
        Assert.Equal(StoreStatus.Unavailable, StoreFailure.Classify(new ObjectDisposedException("mux")));
        Assert.Equal(StoreStatus.Failed, StoreFailure.Classify(new RedisServerException("ERR")));
        Assert.Null(StoreFailure.Classify(new ArgumentException("a bug")));
        Assert.False(StoreFailure.IsStoreFailure(new NullReferenceException()));
        Assert.True(StoreFailure.IsStoreFailure(new TaskCanceledException()));
    }
}
