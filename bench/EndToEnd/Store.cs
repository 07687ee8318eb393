using System.Globalization;
using Presence.Core;
using Presence.Core.Events;
using StackExchange.Redis;

namespace Presence.Bench.EndToEnd;

/// <summary>The benchmark's own redis-server, seen through StackExchange.Redis.</summary>
internal sealed class Store : IAsyncDisposable
{
    private const int KeysPerGet = 1000;
    private const int GetsInFlight = 16;
    private readonly ConnectionMultiplexer _mux;
    private readonly byte[] _prefix = PresenceKeys.EncodePrefix(PresenceKeys.DefaultPrefix);

    private Store(ConnectionMultiplexer mux) => _mux = mux;

    public static async Task<Store> ConnectAsync(int port) =>
        new(await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true,syncTimeout=30000,asyncTimeout=30000"));

    private IServer Server => _mux.GetServers()[0];

    public async Task FlushAllAsync()
    {
        Console.WriteLine("$ redis FLUSHALL");
        await Server.FlushAllDatabasesAsync();
    }

    public Task<long> DbSizeAsync() => Server.DatabaseSizeAsync();

    public async Task<long> UsedMemoryAsync()
    {
        var info = await Server.InfoAsync("memory");
        var value = info.SelectMany(g => g).First(kv => kv.Key == "used_memory").Value;
        return long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The store's memory for <paramref name="users"/> online users, in words: INFO's used_memory
    /// per user and per key (DBSIZE, redis' own baseline included), and what the events log's lines,
    /// its online set (every 64th of its hashes, scaled up) and a stopped ingester's hand-over take
    /// of it (MEMORY USAGE; EVENTS.md, "Costs").
    /// </summary>
    public async Task<string> MemoryAsync(int users)
    {
        long memory = await UsedMemoryAsync();
        long keys = await DbSizeAsync();
        var events = new EventLogKeys(PresenceKeys.DefaultPrefix);
        long log = await MemoryUsageAsync(events.Log);
        long online = 0;
        for (int bucket = 0; bucket < EventLogKeys.Buckets; bucket += 64)
            online += await MemoryUsageAsync(events.OnlinePrefix + bucket.ToString(CultureInfo.InvariantCulture));
        online *= 64;
        long orphans = await MemoryUsageAsync(events.Orphans);
        return string.Create(CultureInfo.InvariantCulture,
            $"used_memory {memory:N0} bytes: {(double)memory / users:N1} per online user, {(keys > 0 ? (double)memory / keys : 0):N1} per key ({keys:N0} keys); " +
            $"of it per user: events log {(double)log / users:N1}, its online set {(double)online / users:N1}, hand-over {(double)orphans / users:N1}");
    }

    private async Task<long> MemoryUsageAsync(string key)
    {
        var usage = await _mux.GetDatabase().ExecuteAsync("MEMORY", "USAGE", key, "SAMPLES", "0");
        return usage.IsNull ? 0 : (long)usage;
    }

    /// <summary>
    /// Waits until the server has applied every command already sent to it by a client that now
    /// sends nothing (a frozen receiver): until two readings of INFO's total_commands_processed,
    /// 20 ms apart, differ by our own INFO alone, or <paramref name="timeout"/> passes. Returns the
    /// commands applied meanwhile (besides our INFOs) and whether it settled.
    /// </summary>
    public async Task<(long Applied, bool Settled)> SettleAsync(TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        long first = await CommandsProcessedAsync(), last = first, infos = 1;
        while (clock.Elapsed < timeout)
        {
            await Task.Delay(20);
            long now = await CommandsProcessedAsync();
            infos++;
            // Each reading counts the previous reading's INFO (a command is counted once done): a difference of one is ours alone.
            if (now - last <= 1)
                return (now - first - (infos - 1), true);
            last = now;
        }
        return (last - first - (infos - 1), false);
    }

    private async Task<long> CommandsProcessedAsync()
    {
        var info = await Server.InfoAsync("stats");
        var value = info.SelectMany(g => g).First(kv => kv.Key == "total_commands_processed").Value;
        return long.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The stored time of users first + order[0], first + order[1], … (−1: no key, or not a number),
    /// read in that order with MGET of <see cref="KeysPerGet"/> keys, <see cref="GetsInFlight"/> at a
    /// time, and when each was read (Unix ms of its answer). Both arrays are by user index.
    /// </summary>
    public async Task<(long[] Stored, long[] ReadAtMs)> ReadTimesAsync(ulong first, int[] order)
    {
        var db = _mux.GetDatabase();
        var stored = new long[order.Length];
        var readAt = new long[order.Length];
        var inFlight = new Queue<(int Start, Task<RedisValue[]> Values)>(GetsInFlight);
        for (int start = 0; start < order.Length || inFlight.Count > 0;)
        {
            while (start < order.Length && inFlight.Count < GetsInFlight)
            {
                int n = Math.Min(KeysPerGet, order.Length - start);
                var keys = new RedisKey[n];
                for (int i = 0; i < n; i++)
                    keys[i] = PresenceKeys.ToKey(_prefix, first + (ulong)order[start + i]);
                inFlight.Enqueue((start, db.StringGetAsync(keys)));
                start += n;
            }
            var (at, task) = inFlight.Dequeue();
            var values = await task;
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            for (int i = 0; i < values.Length; i++)
            {
                int user = order[at + i];
                stored[user] = !values[i].IsNull && values[i].TryParse(out long ms) ? ms : -1;
                readAt[user] = now;
            }
        }
        return (stored, readAt);
    }

    public async ValueTask DisposeAsync() => await _mux.DisposeAsync();
}
