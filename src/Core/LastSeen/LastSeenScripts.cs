namespace Presence.Core.LastSeen;

/// <summary>
/// The last seen store's Lua scripts (Redis 7 and Garnet with Lua on), each on one bucket key,
/// so each runs on the node that owns that bucket, cluster or not.
/// </summary>
public static class LastSeenScripts
{
    /// <summary>
    /// Keeps the later of the stored and the given last seen of one user (several ingesters may
    /// find one user's offline in either order), and keeps the bucket for the retention from now.
    /// KEYS: the bucket. ARGV: user id (decimal), last seen (Unix seconds), bucket lifetime (s).
    /// Returns 1 when the value was written, 0 when a later one was kept.
    /// </summary>
    public const string Write = """
        local old = redis.call('HGET', KEYS[1], ARGV[1])
        local written = 0
        if (not old) or tonumber(old) < tonumber(ARGV[2]) then
          redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
          written = 1
        end
        redis.call('EXPIRE', KEYS[1], ARGV[3])
        return written
        """;

    /// <summary>
    /// Presence with last seen in one call, on one node (a single store; not across a cluster's slots):
    /// KEYS are the n users' presence keys, then their n buckets; ARGV their n fields. Returns n
    /// elements, in order: the presence key's value, a bulk string, when it exists (online: its receive
    /// time in ms); else, when the bucket holds the user, its last seen in Unix seconds as an
    /// <em>integer</em> reply (the reply's type tells offline-with-last-seen from online); else nil.
    /// An online user costs one GET, an offline one a GET and an HGET.
    /// </summary>
    public const string Presence = """
        local n = #ARGV
        local result = {}
        for i = 1, n do
          local value = redis.call('GET', KEYS[i])
          if not value then
            local seen = redis.call('HGET', KEYS[n + i], ARGV[i])
            value = seen and tonumber(seen) or false
          end
          result[i] = value
        end
        return result
        """;

    /// <summary>The SHA-1 of <see cref="Presence"/> in lowercase hex, as the store names it (SCRIPT LOAD, EVALSHA).</summary>
    public static string PresenceSha { get; } = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(Presence)));

    /// <summary>
    /// Forgets the users of one bucket whose last seen is before the cutoff: one bucket of at
    /// most a few hundred entries a call, run round-robin over the buckets off the hot path.
    /// KEYS: the bucket. ARGV: cutoff (Unix seconds). Returns how many were forgotten.
    /// </summary>
    public const string Trim = """
        local unpack = unpack or table.unpack
        local all = redis.call('HGETALL', KEYS[1])
        local old = {}
        local cutoff = tonumber(ARGV[1])
        for i = 1, #all, 2 do
          if tonumber(all[i + 1]) < cutoff then old[#old + 1] = all[i] end
        end
        for i = 1, #old, 500 do
          redis.call('HDEL', KEYS[1], unpack(old, i, math.min(i + 499, #old)))
        end
        return #old
        """;
}
