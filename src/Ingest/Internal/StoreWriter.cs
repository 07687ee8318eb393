using Presence.Core;
using StackExchange.Redis;

namespace Presence.Ingest.Internal;

/// <summary>
/// Writes one flush: <c>SET &lt;prefix&gt;&lt;id&gt; &lt;receive ms&gt; PX &lt;ms left&gt;</c> per online user and
/// <c>DEL</c> per user that signed out. Every command of a chunk is issued before any is awaited
/// (StackExchange.Redis pipelines them on its connection; under Redis Cluster it routes each to
/// the node owning its slot), then all are awaited together. Each outcome is recorded, so a
/// failed write is known and retried, never fire-and-forget.
/// </summary>
internal sealed class StoreWriter(IDatabase database, string prefix)
{
    /// <summary>
    /// Commands in flight at once. A steady window is far smaller; a backlog after an outage
    /// (up to --max-pending users) is written in chunks so memory for tasks stays bounded.
    /// </summary>
    public const int ChunkSize = 16_384;

    private readonly byte[] _prefix = PresenceKeys.EncodePrefix(prefix);
    private readonly Task<bool>[] _tasks = new Task<bool>[ChunkSize];

    /// <summary>Writes <paramref name="writes"/>; <paramref name="ok"/>[i] tells whether write i was confirmed.</summary>
    public async Task WriteAsync(IReadOnlyList<PendingWrite> writes, bool[] ok)
    {
        for (int start = 0; start < writes.Count; start += ChunkSize)
        {
            int count = Math.Min(ChunkSize, writes.Count - start);
            for (int i = 0; i < count; i++)
                _tasks[i] = Issue(writes[start + i]);
            try
            {
                await Task.WhenAll(new ArraySegment<Task<bool>>(_tasks, 0, count)).ConfigureAwait(false);
            }
            catch (Exception e) when (e is RedisException or TimeoutException or ObjectDisposedException or TaskCanceledException)
            {
                // Outcomes are read one by one below; a failure is a result here, not an error.
            }
            for (int i = 0; i < count; i++)
            {
                var t = _tasks[i];
                // SET answers true when written; DEL's count says whether a key existed, either is success.
                ok[start + i] = t.IsCompletedSuccessfully && (t.Result || writes[start + i].Kind == RecordKind.Offline);
                _tasks[i] = null!;
            }
        }
    }

    private Task<bool> Issue(in PendingWrite write)
    {
        RedisKey redisKey = PresenceKeys.ToKey(_prefix, write.UserId);
        return write.Kind == RecordKind.Offline
            ? database.KeyDeleteAsync(redisKey)
            : database.StringSetAsync(redisKey, write.ReceiveMs, TimeSpan.FromMilliseconds(write.TtlLeftMs));
    }
}
