using System.Buffers;
using Presence.Core;
using Presence.Core.LastSeen;
using Presence.Hosting;
using StackExchange.Redis;

namespace Presence.Query.Internal.Store;

/// <summary>
/// Reads presence from the store (PROTOCOL.md: key <c>&lt;prefix&gt;&lt;id&gt;</c> exists while the user is
/// online, its value the receive time in Unix ms). A batch costs one round trip per store node:
/// on a single node one MGET; under Redis Cluster, where one MGET may not span hash slots, one
/// MGET per slot, all issued before any is awaited, so each node's share travels in one pipeline.
/// Repeated ids are asked once. Every call ends within the store timeout, with a status, never a throw.
/// With last seen on (<c>--last-seen-days</c> above 0), an offline user's last seen comes in the same
/// round trip (docs/HTTP-API.md, "Last seen"): on a single node one call of the presence script
/// (<see cref="LastSeenScripts.Presence"/>), under a cluster one HGET per id beside the MGETs.
/// On a single plain node, reads go through the service's own pipelined connection
/// (<see cref="ReadPipeline"/>) when one is given; the multiplexer serves everything else.
/// </summary>
internal sealed class PresenceStore : IAsyncDisposable
{
    /// <summary>The user has no key: offline.</summary>
    public const long Offline = -1;

    /// <summary>The user's key exists (online) but its value is not an integer.</summary>
    public const long UnknownTime = long.MinValue;

    private const int NoSlot = StoreTopology.NoSlot;

    private readonly IConnectionMultiplexer _connection;
    private readonly bool _ownsConnection;
    private readonly IDatabase _database;
    private readonly byte[] _prefix;
    private readonly TimeSpan _timeout;
    private readonly ReadPipeline? _pipeline;
    private readonly LastSeenKeys? _lastSeen; // null: last seen is not read
    private readonly byte[] _bucketPrefix;
    private readonly int _lastSeenDays;

    /// <param name="lastSeenDays">Last seen answered for offline users seen within this many days; 0: not read.</param>
    public PresenceStore(IConnectionMultiplexer connection, string prefix, TimeSpan timeout, bool ownsConnection = false, int lastSeenDays = 0)
        : this(connection, prefix, timeout, ownsConnection, pipeline: null, lastSeenDays)
    {
    }

    /// <param name="pipeline">Reads go there while the store is not a cluster; disposed with the store when it owns the connection.</param>
    internal PresenceStore(IConnectionMultiplexer connection, string prefix, TimeSpan timeout, bool ownsConnection, ReadPipeline? pipeline, int lastSeenDays = 0)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegative(lastSeenDays);
        if (lastSeenDays > 0 && pipeline is { ServesLastSeen: false })
            throw new ArgumentException("With last seen on, the pipeline must load the presence script.", nameof(pipeline));
        _lastSeenDays = lastSeenDays;
        var lastSeenKeys = new LastSeenKeys(prefix);
        _lastSeen = lastSeenDays > 0 ? lastSeenKeys : null;
        _bucketPrefix = PresenceKeys.EncodePrefix(lastSeenKeys.BucketPrefix);
        _connection = connection;
        _ownsConnection = ownsConnection;
        _database = connection.GetDatabase();
        _prefix = PresenceKeys.EncodePrefix(prefix);
        _timeout = timeout;
        _pipeline = pipeline;
    }

    public TimeSpan Timeout => _timeout;

    /// <summary>Whether offline users' last seen is read (<c>--last-seen-days</c> above 0).</summary>
    public bool ReadsLastSeen => _lastSeen is not null;

    /// <summary>The cause of the last failed call, for logs.</summary>
    public string? LastError { get; private set; }

    /// <summary>Whether a value from <see cref="GetLastSeenAsync"/> means online (a receive time, or <see cref="UnknownTime"/>).</summary>
    public static bool IsOnline(long value) => value >= 0 || value == UnknownTime;

    /// <summary>
    /// Writes, for each of <paramref name="ids"/>, into <paramref name="lastSeenMs"/> at the same index:
    /// online, the stored receive time (Unix ms) or <see cref="UnknownTime"/>; offline, the last seen as
    /// <see cref="LastSeenTime.EncodeOffline"/> when one is kept and within the retention, else <see cref="Offline"/>.
    /// </summary>
    public async ValueTask<StoreStatus> GetLastSeenAsync(ReadOnlyMemory<ulong> ids, Memory<long> lastSeenMs)
    {
        if (lastSeenMs.Length < ids.Length)
            throw new ArgumentException("One result slot per id is needed.", nameof(lastSeenMs));
        int count = ids.Length;
        if (count == 0)
            return StoreStatus.Ok;

        var unique = ArrayPool<ulong>.Shared.Rent(count);
        var uniqueIndex = ArrayPool<int>.Shared.Rent(count);
        var values = ArrayPool<long>.Shared.Rent(count);
        try
        {
            int uniqueCount = Dedupe(ids.Span, unique, uniqueIndex);
            StoreStatus status;
            if (Direct is { } pipeline)
            {
                status = await (_lastSeen is null
                    ? pipeline.GetAsync(_prefix, unique.AsSpan(0, uniqueCount), values)
                    : pipeline.GetWithLastSeenAsync(_prefix, _bucketPrefix, unique.AsSpan(0, uniqueCount), values));
                if (status != StoreStatus.Ok)
                    LastError = pipeline.LastError;
            }
            else
            {
                status = await ReadThroughMultiplexer(unique, uniqueCount, values);
            }
            if (status != StoreStatus.Ok)
                return status;
            if (_lastSeen is not null)
                ForgetOld(values.AsSpan(0, uniqueCount));

            var result = lastSeenMs.Span;
            for (int i = 0; i < count; i++)
                result[i] = values[uniqueIndex[i]];
            return StoreStatus.Ok;
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(unique);
            ArrayPool<int>.Shared.Return(uniqueIndex);
            ArrayPool<long>.Shared.Return(values);
        }
    }

    /// <summary>Last seen times older than the retention are not answered (the store may keep them up to an hour more).</summary>
    private void ForgetOld(Span<long> values)
    {
        long cutoff = LastSeenTime.CutoffMs(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), _lastSeenDays);
        foreach (ref long value in values)
        {
            if (LastSeenTime.DecodeOffline(value) is { } ms && ms < cutoff)
                value = Offline;
        }
    }

    /// <summary>The pipeline, while reads may go there: given one, and the store is not a cluster.</summary>
    private ReadPipeline? Direct => _pipeline is not null && !StoreTopology.IsCluster(_connection) ? _pipeline : null;

    private ValueTask<StoreStatus> ReadThroughMultiplexer(ulong[] unique, int uniqueCount, long[] values)
    {
        var keys = new RedisKey[uniqueCount];
        Span<byte> buffer = stackalloc byte[_prefix.Length + PresenceKeys.MaxUserIdDigits];
        for (int i = 0; i < uniqueCount; i++)
            keys[i] = buffer[..PresenceKeys.Format(_prefix, unique[i], buffer)].ToArray();
        if (_lastSeen is not null)
        {
            return _connection.HashSlot(keys[0]) == NoSlot
                ? RunPresenceScriptAsync(keys, unique, values)
                : GetWithLastSeenBySlotAsync(keys, unique, values);
        }
        return uniqueCount == 1 ? GetOneAsync(keys[0], values)
            : _connection.HashSlot(keys[0]) == NoSlot ? GetAsync(keys, values)
            : GetBySlotAsync(keys, values);
    }

    /// <summary>PING within the store timeout.</summary>
    public async ValueTask<StoreStatus> PingAsync()
    {
        if (Direct is { } pipeline)
        {
            var status = await pipeline.PingAsync();
            if (status != StoreStatus.Ok)
                LastError = pipeline.LastError;
            return status;
        }
        try
        {
            await _database.PingAsync().WaitAsync(_timeout);
            return StoreStatus.Ok;
        }
        catch (Exception e) when (Classify(e) is { } status)
        {
            return status;
        }
    }

    /// <summary>
    /// Sorts a copy of <paramref name="ids"/> and keeps each id once in <paramref name="unique"/>;
    /// <paramref name="uniqueIndex"/>[i] is where ids[i] landed. Returns how many are unique.
    /// </summary>
    internal static int Dedupe(ReadOnlySpan<ulong> ids, Span<ulong> unique, Span<int> uniqueIndex)
    {
        int count = ids.Length;
        var sorted = unique[..count];
        var rented = ArrayPool<int>.Shared.Rent(count);
        var position = rented.AsSpan(0, count); // position[k]: where sorted[k] stood in ids
        try
        {
            ids.CopyTo(sorted);
            for (int i = 0; i < count; i++)
                position[i] = i;
            sorted.Sort(position);

            int u = -1;
            ulong previous = 0; // ids are never 0
            for (int k = 0; k < count; k++)
            {
                if (sorted[k] != previous)
                {
                    previous = sorted[k];
                    sorted[++u] = previous; // u <= k: compacting in place never overtakes the reading
                }
                uniqueIndex[position[k]] = u;
            }
            return u + 1;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(rented);
        }
    }

    /// <summary>A single node: the presence script over every key, in one call.</summary>
    private async ValueTask<StoreStatus> RunPresenceScriptAsync(RedisKey[] keys, ulong[] unique, long[] values)
    {
        int count = keys.Length;
        var scriptKeys = new RedisKey[2 * count];
        var fields = new RedisValue[count];
        for (int i = 0; i < count; i++)
        {
            scriptKeys[i] = keys[i];
            scriptKeys[count + i] = _lastSeen!.KeyOf(unique[i]);
            fields[i] = LastSeenKeys.Field(unique[i]);
        }
        Task<RedisResult>? pending = null;
        try
        {
            pending = _database.ScriptEvaluateAsync(LastSeenScripts.Presence, scriptKeys, fields);
            var replies = (RedisResult[])(await pending.WaitAsync(_timeout))!;
            if (replies.Length != count)
            {
                LastError = $"the presence script answered {replies.Length} values for {count} keys";
                return StoreStatus.Failed;
            }
            for (int i = 0; i < count; i++)
                values[i] = ScriptValue(replies[i]);
            return StoreStatus.Ok;
        }
        catch (Exception e) when (Classify(e) is { } status)
        {
            Observe(pending);
            return status;
        }
    }

    /// <summary>
    /// A cluster: one MGET per slot and one HGET per id (each bucket has its own slot), all sent before any
    /// is awaited; the whole call within one store timeout.
    /// </summary>
    private async ValueTask<StoreStatus> GetWithLastSeenBySlotAsync(RedisKey[] keys, ulong[] unique, long[] values)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        int count = keys.Length;
        var seen = new Task<RedisValue>[count];
        for (int i = 0; i < count; i++)
            seen[i] = _database.HashGetAsync(_lastSeen!.KeyOf(unique[i]), LastSeenKeys.Field(unique[i]));
        var status = await GetBySlotAsync(keys, values);
        if (status != StoreStatus.Ok)
        {
            foreach (var task in seen)
                Observe(task);
            return status;
        }
        try
        {
            var left = _timeout - System.Diagnostics.Stopwatch.GetElapsedTime(started);
            await Task.WhenAll(seen).WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero);
        }
        catch (Exception e) when (Classify(e) is { } failed)
        {
            foreach (var task in seen)
                Observe(task);
            return failed;
        }
        for (int i = 0; i < count; i++)
        {
            if (values[i] == Offline && seen[i].Result.TryParse(out long seconds))
                values[i] = LastSeen(seconds);
        }
        return StoreStatus.Ok;
    }

    /// <summary>One element of the presence script's answer: a key's value (bulk string), a last seen in seconds (integer), or nil.</summary>
    private static long ScriptValue(RedisResult reply) =>
        reply.IsNull ? Offline
        : reply.Resp2Type == ResultType.Integer ? LastSeen((long)reply)
        : Value((RedisValue)reply);

    /// <summary>A last seen past this (the year 5138) is no time a heartbeat was received: read as none.</summary>
    private const long MaxLastSeenSeconds = 100_000_000_000;

    /// <summary>An offline user's last seen (Unix seconds, as stored) as a value; nonsense reads as none (<see cref="Offline"/>).</summary>
    internal static long LastSeen(long seconds) =>
        seconds is >= 0 and <= MaxLastSeenSeconds ? LastSeenTime.EncodeOffline(seconds * 1000) : Offline;

    private async ValueTask<StoreStatus> GetOneAsync(RedisKey key, long[] values)
    {
        Task<RedisValue>? pending = null;
        try
        {
            pending = _database.StringGetAsync(key);
            values[0] = Value(await pending.WaitAsync(_timeout));
            return StoreStatus.Ok;
        }
        catch (Exception e) when (Classify(e) is { } status)
        {
            Observe(pending);
            return status;
        }
    }

    private async ValueTask<StoreStatus> GetAsync(RedisKey[] keys, long[] values)
    {
        Task<RedisValue[]>? pending = null;
        try
        {
            pending = _database.StringGetAsync(keys);
            Read(await pending.WaitAsync(_timeout), values, null, 0);
            return StoreStatus.Ok;
        }
        catch (Exception e) when (Classify(e) is { } status)
        {
            Observe(pending);
            return status;
        }
    }

    private async ValueTask<StoreStatus> GetBySlotAsync(RedisKey[] keys, long[] values)
    {
        int count = keys.Length;
        var slots = ArrayPool<int>.Shared.Rent(count);
        var order = ArrayPool<int>.Shared.Rent(count);
        try
        {
            for (int i = 0; i < count; i++)
            {
                slots[i] = _connection.HashSlot(keys[i]);
                order[i] = i;
            }
            slots.AsSpan(0, count).Sort(order.AsSpan(0, count));
            int groups = 1;
            for (int i = 1; i < count; i++)
                groups += slots[i] != slots[i - 1] ? 1 : 0;

            // Every MGET is issued before any is awaited: the client pipelines them per node.
            var pending = new Task<RedisValue[]>[groups];
            var starts = new int[groups + 1];
            try
            {
                int group = 0;
                for (int start = 0; start < count;)
                {
                    int end = start + 1;
                    while (end < count && slots[end] == slots[start])
                        end++;
                    var slotKeys = groups == 1 ? keys : new RedisKey[end - start];
                    if (groups != 1)
                    {
                        for (int j = start; j < end; j++)
                            slotKeys[j - start] = keys[order[j]];
                    }
                    starts[group] = start;
                    pending[group++] = _database.StringGetAsync(slotKeys);
                    start = end;
                }
                starts[groups] = count;
                await Task.WhenAll(pending).WaitAsync(_timeout);
            }
            catch (Exception e) when (Classify(e) is { } status)
            {
                foreach (var task in pending)
                    Observe(task);
                return status;
            }
            for (int g = 0; g < groups; g++)
                Read(pending[g].Result, values, groups == 1 ? null : order, starts[g]);
            return StoreStatus.Ok;
        }
        finally
        {
            ArrayPool<int>.Shared.Return(slots);
            ArrayPool<int>.Shared.Return(order);
        }
    }

    /// <summary>Reply i belongs to key order[offset + i] (or key i when there is no reordering).</summary>
    private static void Read(RedisValue[] replies, long[] values, int[]? order, int offset)
    {
        for (int i = 0; i < replies.Length; i++)
            values[order is null ? i : order[offset + i]] = Value(replies[i]);
    }

    private static long Value(RedisValue reply) => reply.IsNull ? Offline : reply.TryParse(out long ms) && ms >= 0 ? ms : UnknownTime;

    private StoreStatus? Classify(Exception e)
    {
        var status = StoreFailure.Classify(e);
        if (status is not null)
            LastError = StoreFailure.Reason(e, _timeout);
        return status;
    }

    private static void Observe(Task? task) => StoreFailure.Observe(task);

    public async ValueTask DisposeAsync()
    {
        if (!_ownsConnection)
            return;
        if (_pipeline is not null)
            await _pipeline.DisposeAsync();
        await _connection.DisposeAsync();
    }
}
