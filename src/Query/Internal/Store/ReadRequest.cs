using System.Threading.Tasks.Sources;

namespace Presence.Query.Internal.Store;

/// <summary>
/// One GET, MGET or PING waiting on a <see cref="ReadConnection"/> for its reply. It completes exactly
/// once: with the reply, or earlier with a failure (timeout, lost connection), in which case the late
/// reply is read and dropped. The caller's buffer is written only by the completion that wins, so a
/// caller that gave up may reuse its buffer at once.
/// </summary>
internal sealed class ReadRequest : IValueTaskSource<StoreStatus>
{
    // Continuations run on the completing thread (the connection's receive loop): the reply is answered
    // where it was read, with no hop to another thread. Nothing holds a lock while completing.
    private ManualResetValueTaskSourceCore<StoreStatus> _core = new() { RunContinuationsAsynchronously = false };
    private int _done;

    public ReadRequest(ReadKind kind, long[] values, int count, long deadline)
    {
        Kind = kind;
        Values = values;
        Count = count;
        Deadline = deadline;
    }

    public ReadKind Kind { get; }

    /// <summary>Where the values go: <see cref="Count"/> of them, in key order.</summary>
    public long[] Values { get; }

    public int Count { get; }

    /// <summary>When the caller stops waiting (a <see cref="TimeProvider"/> timestamp).</summary>
    public long Deadline { get; }

    public bool IsDone => Volatile.Read(ref _done) != 0;

    public ValueTask<StoreStatus> Task => new(this, _core.Version);

    /// <summary>The reply's values, copied into the caller's buffer unless the request already ended.</summary>
    public bool TryComplete(ReadOnlySpan<long> values)
    {
        if (Interlocked.Exchange(ref _done, 1) != 0)
            return false;
        values.CopyTo(Values);
        _core.SetResult(StoreStatus.Ok);
        return true;
    }

    public bool TryComplete(StoreStatus status)
    {
        if (Interlocked.Exchange(ref _done, 1) != 0)
            return false;
        _core.SetResult(status);
        return true;
    }

    public StoreStatus GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
