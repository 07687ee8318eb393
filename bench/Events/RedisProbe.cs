using System.Globalization;
using Presence.Core;
using Presence.Core.Events;
using StackExchange.Redis;

namespace Presence.Bench.Events;

/// <summary>The benchmark's own look at its redis-server: FLUSHALL, INFO commandstats, and the events log itself.</summary>
internal sealed class RedisProbe : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _mux;
    private readonly EventLogKeys _keys = new(PresenceKeys.DefaultPrefix);

    private RedisProbe(ConnectionMultiplexer mux) => _mux = mux;

    public static async Task<RedisProbe> ConnectAsync(int port) =>
        new(await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true,syncTimeout=60000,asyncTimeout=60000"));

    private IServer Server => _mux.GetServers()[0];

    public async Task FlushAllAsync()
    {
        Console.WriteLine("$ redis FLUSHALL");
        await Server.FlushAllDatabasesAsync();
    }

    /// <summary>INFO commandstats: calls and microseconds per command name (eval, evalsha, get, …).</summary>
    public async Task<Dictionary<string, (long Calls, long Usec)>> CommandStatsAsync()
    {
        var stats = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        foreach (var group in await Server.InfoAsync("commandstats"))
        {
            foreach (var (key, value) in group)
            {
                if (!key.StartsWith("cmdstat_", StringComparison.Ordinal))
                    continue;
                long calls = 0, usec = 0;
                foreach (var part in value.Split(','))
                {
                    var kv = part.Split('=', 2);
                    if (kv[0] == "calls")
                        calls = long.Parse(kv[1], CultureInfo.InvariantCulture);
                    else if (kv[0] == "usec")
                        usec = long.Parse(kv[1], CultureInfo.InvariantCulture);
                }
                stats[key["cmdstat_".Length..]] = (calls, usec);
            }
        }
        return stats;
    }

    public async Task<long> UsedMemoryAsync()
    {
        var info = await Server.InfoAsync("memory");
        return long.Parse(info.SelectMany(g => g).First(kv => kv.Key == "used_memory").Value, CultureInfo.InvariantCulture);
    }

    public Task<long> KeysAsync() => Server.DatabaseSizeAsync();

    public async Task ConfigSetAsync(string setting, string value)
    {
        Console.WriteLine($"$ redis CONFIG SET {setting} {value}");
        await Server.ConfigSetAsync(setting, value);
    }

    /// <summary>The events log's online set: its bytes (MEMORY USAGE of every 64th hash, scaled up) and the encoding of its first hash.</summary>
    public async Task<(long Bytes, string Encoding)> OnlineSetUsageAsync()
    {
        var database = _mux.GetDatabase();
        long sample = 0;
        for (int bucket = 0; bucket < EventLogKeys.Buckets; bucket += 64)
        {
            var usage = await database.ExecuteAsync("MEMORY", "USAGE", _keys.OnlinePrefix + bucket.ToString(CultureInfo.InvariantCulture), "SAMPLES", "0");
            sample += usage.IsNull ? 0 : (long)usage;
        }
        var encoding = await database.ExecuteAsync("OBJECT", "ENCODING", _keys.OnlinePrefix + "0");
        return (sample * 64, encoding.IsNull ? "none" : encoding.ToString());
    }

    /// <summary>The sequence number of the events log's last line (0 before any).</summary>
    public async Task<long> LogLastSeqAsync()
    {
        var value = await _mux.GetDatabase().StringGetAsync(_keys.Seq);
        return value.IsNull ? 0 : (long)value;
    }

    /// <summary>
    /// The log's lines with sequence numbers after <paramref name="afterSeq"/> up to <paramref name="lastSeq"/>,
    /// read with the log's own read script (atomic against appends and trims); they must still be held.
    /// </summary>
    public async Task<List<EventLogLine>> LogLinesAsync(long afterSeq, long lastSeq)
    {
        var db = _mux.GetDatabase();
        RedisKey[] keys = [_keys.Seq, _keys.Log, _keys.Epoch];
        var lines = new List<EventLogLine>();
        long position = afterSeq;
        while (position < lastSeq)
        {
            var result = (RedisResult[])(await db.ScriptEvaluateAsync(EventLogScripts.Read, keys, [EventLogKeys.NewEpoch(), position, 10_000]))!;
            long first = (long)result[2];
            if (position + 1 < first)
                throw new InvalidOperationException($"the events log no longer holds line {position + 1} (first held: {first}): the run outlasted the ingester's --events-retention-seconds");
            if (result.Length == 3)
                throw new InvalidOperationException($"the events log ends at {(long)result[1]}, before line {lastSeq}");
            for (int i = 3; i < result.Length && position < lastSeq; i++)
            {
                if (!EventLogLine.TryParse((byte[])result[i]!, position + 1, out var line))
                    throw new InvalidOperationException($"unreadable events log line: {(string?)result[i]}");
                lines.Add(line);
                position = line.Seq;
            }
        }
        return lines;
    }

    public async ValueTask DisposeAsync() => await _mux.DisposeAsync();
}
