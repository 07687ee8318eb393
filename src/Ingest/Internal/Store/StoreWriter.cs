using Presence.Core;
using Presence.Hosting;
using Presence.Ingest.Internal.Flush;
using Presence.Ingest.Internal.Infrastructure;
using StackExchange.Redis;

namespace Presence.Ingest.Internal.Store;

/// <summary>
/// Writes flush chunks: <c>SET &lt;prefix&gt;&lt;id&gt; &lt;receive ms&gt; PX &lt;ms left&gt; GET</c> per online user and
/// <c>DEL</c> per user that signed out. Every command of a chunk is issued before any is awaited
/// (StackExchange.Redis pipelines them on its connection; under Redis Cluster it routes each to
/// the node owning its slot), then all are awaited together. Each outcome is recorded, so a
/// failed write is known and retried, never fire-and-forget. GET returns the key's old value:
/// none means an online period began (<see cref="WriteOutcome.Created"/>), which is how the
/// ingester sees presence transitions without a second command per heartbeat. A user whose key
/// the ingester knows exists (<see cref="PendingWrite.Refresh"/>) gets <c>SET … PX … XX</c> instead:
/// nearly every write in the steady state, and cheaper for the store than reading the old value;
/// a key found gone is <see cref="WriteOutcome.Missing"/>.
/// A chunk is awaited for at most <paramref name="answerWithin"/> (<see cref="AnswerBound"/>): a
/// command still unanswered then counts as failed and is retried, like one that timed out.
/// </summary>
internal sealed class StoreWriter(IDatabase database, string prefix, bool readOldValue = true, TimeSpan? answerWithin = null) : IStoreWriter
{

    /// <summary>
    /// Commands in flight at once. A steady window is far smaller; a backlog after an outage
    /// (up to --max-pending users) is written in chunks, confirmed chunk by chunk, so memory for
    /// tasks stays bounded and room comes back as each chunk is answered.
    /// </summary>
    public const int DefaultChunkSize = 16_384;

    private readonly byte[] _prefix = PresenceKeys.EncodePrefix(prefix);
    private readonly Task[] _tasks = new Task[DefaultChunkSize];
    private readonly TimeSpan _answerWithin = answerWithin ?? AnswerBound.Default;

    public int ChunkSize => DefaultChunkSize;

    public string? LastError { get; private set; }

    public bool WholeStoreAway
    {
        get
        {
            var mux = database.Multiplexer;
            // One node: every command of a chunk failing (refused, reset or timed out) says it all.
            return !mux.IsConnected || mux.GetEndPoints().Length == 1;
        }
    }

    public async Task WriteChunkAsync(ArraySegment<PendingWrite> chunk, ArraySegment<WriteOutcome> outcomes)
    {
        int count = chunk.Count;
        if (count > _tasks.Length)
            throw new ArgumentException($"a chunk holds at most {_tasks.Length} commands", nameof(chunk));
        for (int i = 0; i < count; i++)
            _tasks[i] = Issue(chunk[i]);
        try
        {
            await Task.WhenAll(_tasks.AsSpan(0, count)).WaitAsync(_answerWithin).ConfigureAwait(false);
        }
        // Every way the store client fails (StoreClientFailure): one let through (InvalidOperationException) lost the
        // chunk's other outcomes, so a write that landed read as failed and its user's new online period was never told.
        catch (Exception e) when (StoreClientFailure.Is(e))
        {
            // Outcomes are read one by one below; a failure is a result here, not an error.
            LastError = e is TimeoutException ? $"no answer to the whole chunk within {_answerWithin.TotalMilliseconds:0} ms" : e.Message;
        }
        for (int i = 0; i < count; i++)
        {
            outcomes[i] = Outcome(_tasks[i], chunk[i]);
            _tasks[i] = null!;
        }
    }

    private Task Issue(in PendingWrite write)
    {
        RedisKey redisKey = PresenceKeys.ToKey(_prefix, write.UserId);
        var expiry = TimeSpan.FromMilliseconds(write.TtlLeftMs);
        return write.Kind == RecordKind.Offline ? database.KeyDeleteAsync(redisKey)
            : write.Refresh ? database.StringSetAsync(redisKey, write.ReceiveMs, expiry, When.Exists)
            : readOldValue ? database.StringSetAndGetAsync(redisKey, write.ReceiveMs, expiry)
            : database.StringSetAsync(redisKey, write.ReceiveMs, expiry);
    }

    private static WriteOutcome Outcome(Task task, in PendingWrite write)
    {
        if (!task.IsCompletedSuccessfully)
            return WriteOutcome.Failed;
        if (write.Kind == RecordKind.Offline)
            return ((Task<bool>)task).Result ? WriteOutcome.Deleted : WriteOutcome.Absent;
        if (write.Refresh)
            return ((Task<bool>)task).Result ? WriteOutcome.Refreshed : WriteOutcome.Missing;
        if (task is Task<bool> set) // plain SET (events off): whether the key existed is not asked
            return set.Result ? WriteOutcome.Refreshed : WriteOutcome.Failed;
        var old = ((Task<RedisValue>)task).Result;
        return old.IsNull ? WriteOutcome.Created
            : old.TryParse(out long previous) && previous == write.ReceiveMs ? WriteOutcome.Landed
            : WriteOutcome.Refreshed;
    }
}
