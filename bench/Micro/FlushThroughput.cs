using System.Diagnostics;
using Presence.Core;
using Presence.Ingest.Internal.Flush;
using Presence.Ingest.Internal.Store;
using StackExchange.Redis;

namespace Presence.Bench.Micro;

/// <summary>
/// Distinct users written per second when one flush carries <c>users</c> users to a real Redis:
/// the ingester's awaited, pipelined <see cref="StoreWriter"/> beside a fire-and-forget baseline
/// (the same SETs with no outcome awaited, then one PING to know they were all read), alternated
/// in one process, medians of several runs.
/// Use: presence-bench flush --redis 127.0.0.1:6379 [--users 1000000] [--runs 3]
/// </summary>
internal static class FlushThroughput
{
    public static async Task<int> RunAsync(string[] args)
    {
        string redis = Arg(args, "--redis") ?? "127.0.0.1:6379";
        int users = int.Parse(Arg(args, "--users") ?? "1000000", System.Globalization.CultureInfo.InvariantCulture);
        int runs = int.Parse(Arg(args, "--runs") ?? "3", System.Globalization.CultureInfo.InvariantCulture);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        var db = mux.GetDatabase();
        Console.WriteLine($"flush throughput: {users:N0} distinct users per flush, {runs} runs each, redis {redis}");

        var presence = new List<double>();
        var baseline = new List<double>();
        for (int run = 1; run <= runs; run++)
        {
            await db.ExecuteAsync("FLUSHDB");
            double p = await PresenceWriterAsync(db, users);
            await db.ExecuteAsync("FLUSHDB");
            double b = await FireAndForgetAsync(db, users);
            presence.Add(p);
            baseline.Add(b);
            Console.WriteLine($"run {run}: presence {p,12:N0} users/s   fire-and-forget {b,12:N0} users/s   ratio {p / b:0.00}");
        }
        double pm = Median(presence), bm = Median(baseline);
        Console.WriteLine($"median: presence {pm:N0} users/s, fire-and-forget {bm:N0} users/s, ratio {pm / bm:0.00}");
        long dbsize = (long)await db.ExecuteAsync("DBSIZE");
        return dbsize == users ? 0 : 1;
    }

    private static async Task<double> PresenceWriterAsync(IDatabase db, int users)
    {
        var writer = new StoreWriter(db, PresenceKeys.DefaultPrefix);
        var writes = new List<PendingWrite>(users);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int i = 1; i <= users; i++)
            writes.Add(new PendingWrite((ulong)i, now, RecordKind.Heartbeat, 30_000));
        var outcomes = new WriteOutcome[users];
        var clock = Stopwatch.StartNew();
        await writer.WriteAsync(writes, outcomes);
        double seconds = clock.Elapsed.TotalSeconds;
        if (outcomes.Any(x => x == WriteOutcome.Failed))
            throw new InvalidOperationException("a write failed");
        return users / seconds;
    }

    private static async Task<double> FireAndForgetAsync(IDatabase db, int users)
    {
        var prefix = PresenceKeys.EncodePrefix(PresenceKeys.DefaultPrefix);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var expiry = TimeSpan.FromMilliseconds(30_000 - 1);
        var clock = Stopwatch.StartNew();
        for (int i = 1; i <= users; i++)
            db.StringSet(PresenceKeys.ToKey(prefix, (ulong)i), now, expiry, flags: CommandFlags.FireAndForget);
        await db.PingAsync(); // answered after every SET before it on the connection
        return users / clock.Elapsed.TotalSeconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string? Arg(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
