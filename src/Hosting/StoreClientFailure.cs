using StackExchange.Redis;

namespace Presence.Hosting;

/// <summary>
/// What "the store did not answer" looks like to a caller of StackExchange.Redis, in one place for both services.
/// </summary>
/// <remarks>
/// The client fails a call with more than <see cref="RedisException"/>: <see cref="TimeoutException"/> (ours,
/// from <c>WaitAsync</c>, or its own <see cref="RedisTimeoutException"/>), <see cref="TaskCanceledException"/>
/// for a command it gave up on, and <see cref="InvalidOperationException"/> after a fault tore its connection
/// down ("Reading is not allowed after reader was completed"; <see cref="ObjectDisposedException"/>, one of
/// them, while the multiplexer is closing). Each of those, let through, once cost a loop or a process; each
/// caller turns them into a counted failure and goes on.
/// </remarks>
public static class StoreClientFailure
{
    /// <summary>Whether <paramref name="e"/> is a store call failing (not a bug of the caller's).</summary>
    public static bool Is(Exception e) =>
        e is RedisException or TimeoutException or TaskCanceledException or InvalidOperationException;

    /// <summary>
    /// The same, for a call that also waits on <paramref name="stop"/>: a cancellation is the store's (its wait
    /// given up) unless <paramref name="stop"/> asked for it, which is the caller's own stop and goes through.
    /// </summary>
    public static bool Is(Exception e, CancellationToken stop) =>
        e is OperationCanceledException ? !stop.IsCancellationRequested : Is(e);
}
