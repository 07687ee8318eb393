using Presence.Core.Groups;
using StackExchange.Redis;

namespace Presence.Query.Internal.Store;

/// <summary>
/// Group membership in the store (<see cref="GroupKeys"/>): written by two scripts, each atomic on the
/// group's one key, so a write over the size limit changes nothing; read with ZCARD and ZRANGE, every
/// group's command issued before any is awaited (one pipelined round trip per store node). Every call
/// ends within the store timeout with a status, never a throw (as <see cref="PresenceStore"/>).
/// </summary>
internal sealed class GroupStore(IConnectionMultiplexer connection, string prefix, TimeSpan timeout)
{
    /// <summary>
    /// KEYS[1] the group, KEYS[2] its membership version; ARGV the members. Replaces them all and increments the
    /// version; answers the new size. Both scripts send 1,000 members a ZADD or ZREM (Lua's unpack has a stack limit
    /// of ~8,000).
    /// </summary>
    internal const string ReplaceScript = """
        redis.call('DEL', KEYS[1])
        local batch = {}
        for i = 1, #ARGV do
          batch[#batch + 1] = 0
          batch[#batch + 1] = ARGV[i]
          if #batch == 2000 then redis.call('ZADD', KEYS[1], unpack(batch)); batch = {} end
        end
        if #batch > 0 then redis.call('ZADD', KEYS[1], unpack(batch)) end
        redis.call('INCR', KEYS[2])
        return redis.call('ZCARD', KEYS[1])
        """;

    /// <summary>
    /// KEYS[1] the group, KEYS[2] its membership version; ARGV[1] the most members, ARGV[2] how many to remove, then
    /// those, then the ones to add (each list without repeats). Removes, then adds, and increments the version, unless
    /// the group would exceed the limit: then nothing is changed. Answers {1, new size} or {0, the size it would have had}.
    /// </summary>
    internal const string ChangeScript = """
        local key = KEYS[1]
        local max = tonumber(ARGV[1])
        local last_removed = 2 + tonumber(ARGV[2])
        local size = redis.call('ZCARD', key)
        local removed = {}
        for i = 3, last_removed do
          if redis.call('ZSCORE', key, ARGV[i]) then removed[ARGV[i]] = true; size = size - 1 end
        end
        for i = last_removed + 1, #ARGV do
          if removed[ARGV[i]] or not redis.call('ZSCORE', key, ARGV[i]) then size = size + 1 end
        end
        if size > max then return {0, size} end
        local batch = {}
        for i = 3, last_removed do
          batch[#batch + 1] = ARGV[i]
          if #batch == 1000 then redis.call('ZREM', key, unpack(batch)); batch = {} end
        end
        if #batch > 0 then redis.call('ZREM', key, unpack(batch)) end
        batch = {}
        for i = last_removed + 1, #ARGV do
          batch[#batch + 1] = 0
          batch[#batch + 1] = ARGV[i]
          if #batch == 2000 then redis.call('ZADD', key, unpack(batch)); batch = {} end
        end
        if #batch > 0 then redis.call('ZADD', key, unpack(batch)) end
        redis.call('INCR', KEYS[2])
        return {1, redis.call('ZCARD', key)}
        """;

    /// <summary>KEYS[1] the group, KEYS[2] its membership version: deletes the group, increments the version.</summary>
    internal const string DeleteScript = """
        redis.call('DEL', KEYS[1])
        return redis.call('INCR', KEYS[2])
        """;

    /// <summary>KEYS[1] the group, KEYS[2] its membership version: {version, members}, read at one point.</summary>
    internal const string ReadScript = """
        return {redis.call('GET', KEYS[2]) or '0', redis.call('ZRANGE', KEYS[1], 0, -1)}
        """;

    private readonly IDatabase _database = connection.GetDatabase();
    private readonly GroupKeys _keys = new(prefix);

    /// <summary>The cause of the last failed call, for logs and problem details.</summary>
    public string? LastError { get; private set; }

    /// <summary>Replaces the members of <paramref name="name"/> with <paramref name="ids"/> (no repeats; none deletes it).</summary>
    public async ValueTask<(StoreStatus Status, long Members)> ReplaceAsync(string name, ReadOnlyMemory<ulong> ids)
    {
        var members = Members(ids.Span);
        var (status, reply) = await Run(() => _database.ScriptEvaluateAsync(ReplaceScript, Keys(name), members));
        return status == StoreStatus.Ok ? (status, (long)reply!) : (status, 0);
    }

    /// <summary>
    /// Removes <paramref name="remove"/>, then adds <paramref name="add"/> (each without repeats), unless the group
    /// would have more than <paramref name="max"/> members; Members is the size after, or the one refused.
    /// </summary>
    public async ValueTask<(StoreStatus Status, bool Done, long Members)> ChangeAsync(string name, ReadOnlyMemory<ulong> remove, ReadOnlyMemory<ulong> add, int max)
    {
        var args = new RedisValue[2 + remove.Length + add.Length];
        args[0] = max;
        args[1] = remove.Length;
        int next = 2;
        foreach (ulong id in remove.Span)
            args[next++] = GroupKeys.Member(id);
        foreach (ulong id in add.Span)
            args[next++] = GroupKeys.Member(id);
        var (status, reply) = await Run(() => _database.ScriptEvaluateAsync(ChangeScript, Keys(name), args));
        if (status != StoreStatus.Ok)
            return (status, false, 0);
        var pair = (RedisResult[])reply!;
        return (StoreStatus.Ok, (long)pair[0] == 1, (long)pair[1]);
    }

    /// <summary>Deletes the group (nothing to do when it does not exist, but the version moves on all the same).</summary>
    public async ValueTask<StoreStatus> DeleteAsync(string name) =>
        (await Run(() => _database.ScriptEvaluateAsync(DeleteScript, Keys(name)))).Status;

    /// <summary>The membership version of each named group (0: never written), every GET sent before any is awaited.</summary>
    public async ValueTask<(StoreStatus Status, long[] Versions)> VersionsAsync(IReadOnlyList<string> names)
    {
        var pending = new Task<RedisValue>[names.Count];
        for (int i = 0; i < pending.Length; i++)
            pending[i] = _database.StringGetAsync(_keys.VersionKeyOf(names[i]));
        var status = await Await(pending);
        return status == StoreStatus.Ok ? (status, Array.ConvertAll(pending, t => t.Result.IsNull ? 0 : (long)t.Result)) : (status, []);
    }

    /// <summary>
    /// Each named group's membership version and members (ascending), each pair read at one point (one script a
    /// group, every one sent before any is awaited).
    /// </summary>
    public async ValueTask<(StoreStatus Status, long[] Versions, ulong[][] Members)> ReadWithVersionsAsync(IReadOnlyList<string> names)
    {
        var pending = new Task<RedisResult>[names.Count];
        for (int i = 0; i < pending.Length; i++)
            pending[i] = _database.ScriptEvaluateAsync(ReadScript, Keys(names[i]));
        var status = await Await(pending);
        if (status != StoreStatus.Ok)
            return (status, [], []);
        var versions = new long[pending.Length];
        var members = new ulong[pending.Length][];
        for (int i = 0; i < pending.Length; i++)
        {
            var pair = (RedisResult[])pending[i].Result!;
            versions[i] = (long)pair[0];
            members[i] = ReadMembers((RedisValue[])pair[1]!);
        }
        return (StoreStatus.Ok, versions, members);
    }

    /// <summary>How many members each named group has (0: none), every ZCARD sent before any is awaited.</summary>
    public async ValueTask<(StoreStatus Status, long[] Sizes)> CountAsync(IReadOnlyList<string> names)
    {
        var pending = new Task<long>[names.Count];
        for (int i = 0; i < pending.Length; i++)
            pending[i] = _database.SortedSetLengthAsync(_keys.KeyOf(names[i]));
        var status = await Await(pending);
        return status == StoreStatus.Ok ? (status, Array.ConvertAll(pending, t => t.Result)) : (status, []);
    }

    /// <summary>Every member of each named group, ascending by id, every ZRANGE sent before any is awaited.</summary>
    public async ValueTask<(StoreStatus Status, ulong[][] Members)> MembersAsync(IReadOnlyList<string> names)
    {
        var pending = new Task<RedisValue[]>[names.Count];
        for (int i = 0; i < pending.Length; i++)
            pending[i] = _database.SortedSetRangeByRankAsync(_keys.KeyOf(names[i]));
        var status = await Await(pending);
        if (status != StoreStatus.Ok)
            return (status, []);
        var members = new ulong[pending.Length][];
        for (int i = 0; i < pending.Length; i++)
            members[i] = ReadMembers(pending[i].Result);
        return (StoreStatus.Ok, members);
    }

    /// <summary>The ids of stored members, in their order; anything else under the key (not written by this service) is skipped, never read as an id.</summary>
    private static ulong[] ReadMembers(RedisValue[] replies)
    {
        var ids = new ulong[replies.Length];
        int count = 0;
        foreach (var reply in replies)
        {
            if (GroupKeys.TryReadMember(((ReadOnlyMemory<byte>)reply).Span, out ulong id))
                ids[count++] = id;
        }
        return count == ids.Length ? ids : ids[..count];
    }

    private RedisKey[] Keys(string name) => [_keys.KeyOf(name), _keys.VersionKeyOf(name)];

    private static RedisValue[] Members(ReadOnlySpan<ulong> ids)
    {
        var members = new RedisValue[ids.Length];
        for (int i = 0; i < ids.Length; i++)
            members[i] = GroupKeys.Member(ids[i]);
        return members;
    }

    private async ValueTask<(StoreStatus Status, RedisResult? Reply)> Run(Func<Task<RedisResult>> call)
    {
        Task<RedisResult>? pending = null;
        try
        {
            pending = call();
            return (StoreStatus.Ok, await pending.WaitAsync(timeout));
        }
        catch (Exception e) when (Classify(e) is { } status)
        {
            Observe(pending);
            return (status, null);
        }
    }

    private async ValueTask<StoreStatus> Await(Task[] pending)
    {
        try
        {
            await Task.WhenAll(pending).WaitAsync(timeout);
            return StoreStatus.Ok;
        }
        catch (Exception e) when (Classify(e) is { } status)
        {
            foreach (var task in pending)
                Observe(task);
            return status;
        }
    }

    private StoreStatus? Classify(Exception e)
    {
        var status = StoreFailure.Classify(e);
        if (status is not null)
            LastError = StoreFailure.Reason(e, timeout);
        return status;
    }

    private static void Observe(Task? task) => StoreFailure.Observe(task);
}
