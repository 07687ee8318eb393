using Presence.Ingest.Internal.Flush;


namespace Presence.Unit.Tests.Ingest;

/// <summary>
/// The flusher's store, scripted by a test: records every chunk it is asked to write (with the
/// clock's time), and either answers at once through <see cref="Answer"/> or, when that is null,
/// holds the chunk until the test calls <see cref="Complete(int, WriteOutcome)"/>. Thread-safe: a drain awaits on
/// another thread while the test drives the clock and answers.
/// </summary>
internal sealed class ScriptedStoreWriter(int chunkSize, Func<long> nowMs) : IStoreWriter
{
    private readonly Lock _lock = new();
    private readonly List<Call> _calls = [];

    public int ChunkSize { get; } = chunkSize;

    public bool WholeStoreAway { get; set; } = true;

    public string? LastError { get; set; }

    /// <summary>The outcome of each write of a chunk answered at once; null: chunks wait for <see cref="Complete(int, WriteOutcome)"/>.</summary>
    public Func<PendingWrite, WriteOutcome>? Answer { get; set; }

    /// <summary>WriteChunkAsync throws instead of returning a task (recorded as a call all the same).</summary>
    public bool ThrowOnIssue { get; set; }

    /// <summary>Called as each chunk is issued, before it is recorded (a test looks at the flusher's state then).</summary>
    public Action? OnIssue { get; set; }

    public int CallCount
    {
        get
        {
            lock (_lock)
                return _calls.Count;
        }
    }

    public Call this[int index]
    {
        get
        {
            lock (_lock)
                return _calls[index];
        }
    }

    public Task WriteChunkAsync(ArraySegment<PendingWrite> chunk, ArraySegment<WriteOutcome> outcomes)
    {
        OnIssue?.Invoke();
        var call = new Call(chunk.ToArray(), outcomes, nowMs());
        lock (_lock)
            _calls.Add(call);
        if (ThrowOnIssue)
        {
            var error = new InvalidOperationException("a writer bug");
            call.Fault(error);
            throw error;
        }
        if (Answer is { } answer)
            call.Complete(answer);
        return call.Done;
    }

    /// <summary>Answers the held chunk <paramref name="index"/>: each write's outcome, then the chunk's task.</summary>
    public void Complete(int index, Func<PendingWrite, WriteOutcome> answer) => this[index].Complete(answer);

    public void Complete(int index, WriteOutcome outcome) => Complete(index, _ => outcome);

    /// <summary>Ends the held chunk <paramref name="index"/> with an exception, no outcome written (a writer's bug, not a store failure).</summary>
    public void Fault(int index, Exception error) => this[index].Fault(error);

    internal sealed class Call(PendingWrite[] writes, ArraySegment<WriteOutcome> outcomes, long atMs)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public PendingWrite[] Writes { get; } = writes;

        /// <summary>The ingest clock's time when the chunk was issued.</summary>
        public long AtMs { get; } = atMs;

        public Task Done => _done.Task;

        public void Complete(Func<PendingWrite, WriteOutcome> answer)
        {
            // The outcomes are written before the task completes: the flusher reads them once it sees it completed.
            for (int i = 0; i < Writes.Length; i++)
                outcomes[i] = answer(Writes[i]);
            _done.SetResult();
        }

        public void Fault(Exception error) => _done.SetException(error);
    }
}
