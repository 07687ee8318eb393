namespace Presence.Core.Events;

/// <summary>
/// The events log's Lua scripts (Redis 7 and Garnet with Lua on). Each runs atomically on the
/// node that owns the log's hash slot. KEYS are always: seq, log, epoch (<see cref="EventLogKeys"/>);
/// ARGV always starts with the candidate epoch. Callers do not pack ARGV or unpack results
/// themselves: <see cref="EventLogAppendCall"/>, <see cref="EventLogReadCall"/> and
/// <see cref="EventLogSnapshotCall"/> hold each script's argument layout and result decoding.
/// </summary>
public static class EventLogScripts
{
    /// <summary>
    /// Appends transitions, keeping the log clean: per user, an online line only when the log has
    /// the user offline, an offline line only when it has the user online, so lines alternate per
    /// user whatever several ingesters or a retried write send. An offline line's <c>at</c> is never
    /// before the online line's, and an online line's never before the user's last offline line's
    /// of the last minute (kept in <c>…:off</c>, user → at, trimmed to 60 s behind the newest
    /// transition): two ingesters, or a sweep and a write, can see one user's offline and online
    /// in either order of their times. Then trims lines whose <c>at</c> is older than the cutoff.
    /// ARGV: candidate epoch, online-bucket key prefix, trim cutoff (Unix ms), ttl (ms), now (Unix ms), then
    /// (kind n|p|a|t|s|w, user id, bucket, at ms) per transition (p: a possible online, which the log takes
    /// like n but drops silently when it has the user online; a: a relayed online, taken like p only right after a
    /// timeout of the user, the transition just before it, that ended a period with a line dated no later than it: an
    /// expiry check found the key written anew by another ingester after it lapsed, the quick fault run, seed 49,
    /// 2026-12-07; w: a timeout a start-up sweep found, whose at is
    /// the online at it read in the online set: it ends only that period, if the log still has it, dated now,
    /// since another ingester's online of a new period can reach the log between the sweep's read and this
    /// append: the quick fault run, seed 19, 2026-12-07 16:50). Returns {epoch, last seq}.
    /// An online (n) the log drops while it has the user online since an earlier <c>at</c> began a period
    /// the log does not know yet: the old period's timeout is still on its way from another ingester
    /// (an ingester's <c>SET … GET</c> found no key after the other's expiry check had found it gone). It is
    /// kept in <c>…:pend</c> (user → at, trimmed like <c>…:off</c>), and when that timeout comes within a ttl
    /// of it, or a sign-out dated before it, the online is appended right after it (dated no earlier); a sign-out dated at or
    /// after it clears it. A timeout dated
    /// before the period the log has began, or at its start, is dropped: it ends an earlier period (another ingester's expiry
    /// check found that key gone before this period's first write, and its line comes after this period's
    /// online; or a retried batch), never this one, whose own timeout is at least a ttl after its start. That start is
    /// the online's own <c>at</c>: one the script dated later (to an offline's) keeps its own in <c>…:moved</c> (user → at,
    /// trimmed like <c>…:off</c>, removed with the period), so the period's own timeout, dated between the two, still
    /// ends it (the quick fault run, seed 19, 2026-12-07: an ingester's held-back online and timeout after another's
    /// start-up sweep). A sign-out dated before that start is dropped too: it ends an earlier period, which the user came
    /// back from through another ingester (seed 14, 2026-12-07); ingesters date a sign-out no earlier than an online of theirs
    /// they dated later than its heartbeat. Keeps the number
    /// of users the log has online and the newest <c>at</c> of its lines in <c>…:count</c> (fields n, at:
    /// <see cref="Count"/>); a log written before that count existed has it computed once, by HLEN
    /// over the online buckets. An online into an empty <c>…:off</c> and <c>…:pend</c> (a cold start's burst)
    /// is one store command (<c>HSETNX</c> on its bucket): those sets are read only while they hold anyone
    /// (docs/PERFORMANCE.md, "The Append script's cost per online"). Lines are <c>&lt;kind&gt; &lt;user id&gt; &lt;at&gt;</c>,
    /// numbered by their place (<see cref="EventLogLine"/>); <see cref="AppendNumbered"/> writes each with its number.
    /// </summary>
    public static readonly string Append = AppendScript.Replace(LineText, "string.format('%s %s %s', kind, id, at)", StringComparison.Ordinal);

    /// <summary>
    /// <see cref="Append"/> writing each line with its sequence number first, <c>&lt;seq&gt; &lt;kind&gt; &lt;user id&gt; &lt;at&gt;</c>, as
    /// ingesters before 2026-12-07 did: for a rolling upgrade while query nodes that need the number still read the log
    /// (presence-ingest <c>--events-numbered-lines</c>; docs/DEPLOY.md, "Upgrades").
    /// </summary>
    public static readonly string AppendNumbered = AppendScript.Replace(LineText, "string.format('%d %s %s %s', seq, kind, id, at)", StringComparison.Ordinal);

    private const string LineText = "LINE_TEXT";

    private const string AppendScript = """
        local unpack = unpack or table.unpack
        local epoch = redis.call('GET', KEYS[3])
        if not epoch then
          epoch = ARGV[1]
          redis.call('SET', KEYS[3], epoch)
        end
        local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
        local off = string.sub(KEYS[1], 1, -4) .. 'off'
        local countKey = string.sub(KEYS[1], 1, -4) .. 'count'
        local pend = string.sub(KEYS[1], 1, -4) .. 'pend'
        local moved = string.sub(KEYS[1], 1, -4) .. 'moved'
        local ttl = tonumber(ARGV[4])
        local count = redis.call('HMGET', countKey, 'n', 'at')
        local online, onlineAt = tonumber(count[1]), tonumber(count[2] or '0')
        if not online then
          online = 0
          if seq > 0 then
            for b = 0, 16383 do online = online + redis.call('HLEN', ARGV[2] .. b) end
          end
        end
        local offN = redis.call('ZCARD', off)
        local pendN = redis.call('ZCARD', pend)
        local movedN = redis.call('ZCARD', moved)
        local newest = 0
        local lines = {}
        local function line(kind, id, at)
          if kind == 'n' then online = online + 1 else online = online - 1 end
          if tonumber(at) > onlineAt then onlineAt = tonumber(at) end
          seq = seq + 1
          lines[#lines + 1] = LINE_TEXT
          if #lines == 500 then
            redis.call('RPUSH', KEYS[2], unpack(lines))
            lines = {}
          end
        end
        local now = ARGV[5]
        local ended, endedAt = nil, 0
        for i = 6, #ARGV, 4 do
          local kind, id, at = ARGV[i], ARGV[i + 1], ARGV[i + 3]
          local bucket = ARGV[2] .. ARGV[i + 2]
          local after = ended
          ended = nil
          if kind == 'a' then
            if after == id and tonumber(at) >= endedAt then kind = 'p' else kind = '' end
          end
          if kind == 'w' then
            local seen = redis.call('HGET', bucket, id)
            if seen and tonumber(seen) == tonumber(at) then
              kind = 't'
              at = now
            else
              kind = ''
            end
          end
          if kind == '' then
            at = '0'
          elseif kind == 'n' or kind == 'p' then
            local onAt = at
            local offAt = offN > 0 and redis.call('ZSCORE', off, id)
            if offAt and tonumber(at) < tonumber(offAt) then onAt = string.format('%d', tonumber(offAt)) end
            if redis.call('HSETNX', bucket, id, onAt) == 1 then
              if pendN > 0 then redis.call('ZREM', pend, id) end
              if onAt ~= at then
                redis.call('ZADD', moved, at, id)
                movedN = movedN + 1
              end
              line('n', id, onAt)
              at = onAt
            elseif kind == 'n' and tonumber(at) > tonumber(redis.call('HGET', bucket, id)) then
              redis.call('ZADD', pend, at, id)
              pendN = pendN + 1
            end
          else
            local since = redis.call('HGET', bucket, id)
            local stale = false
            if since and tonumber(at) <= tonumber(since) then
              local own = tonumber(movedN > 0 and redis.call('ZSCORE', moved, id) or since)
              if kind == 't' then stale = tonumber(at) <= own else stale = tonumber(at) < own end
            end
            if since and not stale then
              redis.call('HDEL', bucket, id)
              if movedN > 0 then redis.call('ZREM', moved, id) end
              if tonumber(at) < tonumber(since) then at = since end
              redis.call('ZADD', off, at, id)
              offN = offN + 1
              line(kind, id, at)
              if kind == 't' then ended, endedAt = id, tonumber(at) end
              local pendAt = pendN > 0 and redis.call('ZSCORE', pend, id)
              if pendAt then
                redis.call('ZREM', pend, id)
                if (kind == 't' and tonumber(at) < tonumber(pendAt) + ttl) or (kind == 's' and tonumber(at) < tonumber(pendAt)) then
                  local onAt = at
                  if tonumber(pendAt) > tonumber(at) then
                    onAt = string.format('%d', tonumber(pendAt))
                  elseif tonumber(pendAt) < tonumber(at) then
                    redis.call('ZADD', moved, pendAt, id)
                    movedN = movedN + 1
                  end
                  redis.call('HSET', bucket, id, onAt)
                  line('n', id, onAt)
                end
              end
            end
          end
          if tonumber(at) > newest then newest = tonumber(at) end
        end
        if #lines > 0 then redis.call('RPUSH', KEYS[2], unpack(lines)) end
        redis.call('SET', KEYS[1], string.format('%d', seq))
        redis.call('HSET', countKey, 'n', string.format('%d', online), 'at', string.format('%d', onlineAt))
        if newest > 0 then
          redis.call('ZREMRANGEBYSCORE', off, '-inf', string.format('(%d', newest - 60000))
          redis.call('ZREMRANGEBYSCORE', pend, '-inf', string.format('(%d', newest - 60000))
          if movedN > 0 then redis.call('ZREMRANGEBYSCORE', moved, '-inf', string.format('(%d', newest - 60000)) end
        end
        local cutoff = tonumber(ARGV[3])
        for round = 1, 50 do
          local head = redis.call('LRANGE', KEYS[2], 0, 99)
          local old = 0
          for i = 1, #head do
            if tonumber(string.match(head[i], '(%d+)$')) < cutoff then old = i else break end
          end
          if old == 0 then break end
          redis.call('LTRIM', KEYS[2], old, -1)
          if old < #head then break end
        end
        return {epoch, seq}
        """;

    /// <summary>
    /// Reads lines after a sequence number. ARGV: candidate epoch, after seq, most lines.
    /// Returns {epoch, last seq, first seq still held, lines…}; no lines when the reader is up to
    /// date, or when lines it needs were trimmed (after &lt; first − 1: a gap, which the reader must
    /// treat as a loss of history).
    /// </summary>
    public const string Read = """
        local epoch = redis.call('GET', KEYS[3])
        if not epoch then
          epoch = ARGV[1]
          redis.call('SET', KEYS[3], epoch)
        end
        local last = tonumber(redis.call('GET', KEYS[1]) or '0')
        local len = redis.call('LLEN', KEYS[2])
        local first = last - len + 1
        local after = tonumber(ARGV[2])
        local result = {epoch, last, first}
        if after >= last or after < first - 1 then return result end
        local from = after + 1 - first
        local to = math.min(from + tonumber(ARGV[3]) - 1, len - 1)
        local lines = redis.call('LRANGE', KEYS[2], from - len, to - len)
        for i = 1, #lines do result[#result + 1] = lines[i] end
        return result
        """;

    /// <summary>
    /// The number of users the log has online, in O(1) (docs/HTTP-API.md, "Online count"). No ARGV;
    /// nothing is created: a store without a log stays without one. Returns {epoch or '', last seq
    /// or '' when the log was never written, users online, newest at of the lines counted}; a log
    /// written before the count existed has it computed here once (HLEN over the online buckets,
    /// whose key prefix is derived from KEYS[1] as the Append script is given it).
    /// </summary>
    public const string Count = """
        local epoch = redis.call('GET', KEYS[3]) or ''
        local seq = redis.call('GET', KEYS[1])
        if not seq then return {epoch, '', '0', '0'} end
        local countKey = string.sub(KEYS[1], 1, -4) .. 'count'
        local pend = string.sub(KEYS[1], 1, -4) .. 'pend'
        local ttl = tonumber(ARGV[4])
        local count = redis.call('HMGET', countKey, 'n', 'at')
        if not count[1] then
          local prefix = string.sub(KEYS[1], 1, -4) .. 'on:'
          local online = 0
          for b = 0, 16383 do online = online + redis.call('HLEN', prefix .. b) end
          return {epoch, seq, string.format('%d', online), '0'}
        end
        return {epoch, seq, count[1], count[2] or '0'}
        """;

    /// <summary>
    /// The log's state of some users at one sequence number. ARGV: candidate epoch, online-bucket key
    /// prefix, then (user id, bucket) per user. Returns {epoch, last seq, then per user the
    /// <c>at</c> of its online line, or '' when the log has it offline}.
    /// </summary>
    public const string Snapshot = """
        local epoch = redis.call('GET', KEYS[3])
        if not epoch then
          epoch = ARGV[1]
          redis.call('SET', KEYS[3], epoch)
        end
        local result = {epoch, tonumber(redis.call('GET', KEYS[1]) or '0')}
        for i = 3, #ARGV, 2 do
          result[#result + 1] = redis.call('HGET', ARGV[2] .. ARGV[i + 1], ARGV[i]) or ''
        end
        return result
        """;
}
