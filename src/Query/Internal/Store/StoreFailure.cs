using Presence.Hosting;
using StackExchange.Redis;

namespace Presence.Query.Internal.Store;

/// <summary>How the store readers sort a failed call into a <see cref="StoreStatus"/>, say its cause, and let it go.</summary>
internal static class StoreFailure
{
    /// <summary>
    /// The status for what a store call threw; null for anything else (a bug: not caught). StackExchange.Redis
    /// fails a command with InvalidOperationException ("Reading is not allowed after reader was completed") when
    /// a fault tore its connection down under it: the store is away, as for a closed connection.
    /// </summary>
    public static StoreStatus? Classify(Exception e) => e switch
    {
        TimeoutException or RedisTimeoutException => StoreStatus.TimedOut,
        RedisConnectionException or ObjectDisposedException or InvalidOperationException => StoreStatus.Unavailable,
        RedisServerException or RedisException => StoreStatus.Failed,
        _ => null,
    };

    /// <summary>A short cause: the client's messages carry its whole connection state, which is for its logs, not ours.</summary>
    public static string Reason(Exception e, TimeSpan timeout) => e switch
    {
        RedisTimeoutException => $"no answer within {timeout.TotalMilliseconds:0} ms (client timeout)",
        TimeoutException => $"no answer within {timeout.TotalMilliseconds:0} ms",
        RedisConnectionException connection => $"no connection ({connection.FailureType})",
        ObjectDisposedException => "the connection is closed",
        InvalidOperationException => "the connection was torn down",
        _ => e.Message.Length <= 200 ? e.Message : e.Message[..200] + "…",
    };

    /// <summary>Whether a store call's exception means the store did not answer (any <see cref="Classify"/> knows, or the call's wait was cancelled).</summary>
    public static bool IsStoreFailure(Exception e) => StoreClientFailure.Is(e);

    /// <summary>A command given up on may still fail later; its exception is observed here, not left to the finalizer.</summary>
    public static void Observe(Task? task) =>
        task?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
}
