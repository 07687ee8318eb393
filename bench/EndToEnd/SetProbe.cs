using System.Diagnostics;
using Presence.Core;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Bench.EndToEnd;

/// <summary>
/// The awaited-SET ceiling of presence-ingest's own client on the same server: StackExchange.Redis
/// on one connection, chunks of 16,384 <c>SET presence:&lt;id&gt; &lt;ms&gt; PX 30000</c> (with
/// <c>GET</c> when asked: what the ingest sends with events on) issued back to back and then awaited
/// together, as the ingest's StoreWriter does, one chunk after another, over a million ids.
/// What the store can confirm for this client when nothing else runs: the capacity the ingest's
/// sustained writes are judged against.
/// </summary>
internal static class SetProbe
{
    public const int ChunkSize = 16_384;

    public sealed record Result(double WritesPerSecond, double ClientCores, double RedisCores);

    public static async Task<Result> RunAsync(int redisPort, int redisPid, double seconds, int users, bool withGet)
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redisPort},asyncTimeout=30000,syncTimeout=30000,name=presence-e2e-probe");
        var db = mux.GetDatabase();
        var prefix = PresenceKeys.EncodePrefix(PresenceKeys.DefaultPrefix);
        var keys = new RedisKey[users];
        for (int i = 0; i < users; i++)
            keys[i] = PresenceKeys.ToKey(prefix, (ulong)i + 1);
        var tasks = new Task[ChunkSize];
        var expiry = TimeSpan.FromSeconds(30);
        long writes = 0;
        int next = 0;
        double selfBefore = ProcStat.SelfCpuSeconds(), redisBefore = ProcStat.CpuSeconds(redisPid);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            for (int i = 0; i < ChunkSize; i++)
            {
                var key = keys[next];
                next = next + 1 == users ? 0 : next + 1;
                tasks[i] = withGet ? db.StringSetAndGetAsync(key, now, expiry) : db.StringSetAsync(key, now, expiry);
            }
            await Task.WhenAll(tasks);
            writes += ChunkSize;
        }
        double elapsed = clock.Elapsed.TotalSeconds;
        return new Result(writes / elapsed, (ProcStat.SelfCpuSeconds() - selfBefore) / elapsed, (ProcStat.CpuSeconds(redisPid) - redisBefore) / elapsed);
    }
}
