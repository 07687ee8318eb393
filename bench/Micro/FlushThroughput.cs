using System.Diagnostics;
using Presence.Core;
using Presence.Core.Resp;
using Presence.Ingest.Internal.Flush;
using Presence.Ingest.Internal.Store;
using StackExchange.Redis;

namespace Presence.Bench.Micro;

/// <summary>
/// Distinct users written per second when one flush carries <c>users</c> users to a real Redis:
/// the ingester's awaited, pipelined writers (<see cref="StoreWriter"/> through StackExchange.Redis,
/// <see cref="DirectStoreWriter"/> over its own connection), with client and redis-server CPU per
/// write, beside a fire-and-forget baseline
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

        var endPoint = mux.GetEndPoints()[0];
        var presence = new List<double>();
        var direct = new List<double>();
        var baseline = new List<double>();
        var cpu = new Dictionary<string, List<(double Client, double Store)>> { ["presence"] = [], ["direct"] = [], ["fire-and-forget"] = [] };
        for (int run = 1; run <= runs; run++)
        {
            await db.ExecuteAsync("FLUSHDB");
            double p = await MeasureAsync(db, cpu["presence"], () => WriterAsync(new StoreWriter(db, PresenceKeys.DefaultPrefix), users));
            await db.ExecuteAsync("FLUSHDB");
            using var directWriter = new DirectStoreWriter(endPoint, RespSetUp.From(null, null, null, "presence-bench"), PresenceKeys.DefaultPrefix,
                readOldValue: true, TimeSpan.FromSeconds(10), fallback: null!, useDirect: () => true);
            double d = await MeasureAsync(db, cpu["direct"], () => WriterAsync(directWriter, users));
            await db.ExecuteAsync("FLUSHDB");
            double b = await MeasureAsync(db, cpu["fire-and-forget"], () => FireAndForgetAsync(db, users));
            presence.Add(p);
            direct.Add(d);
            baseline.Add(b);
            Console.WriteLine($"run {run}: presence {p,12:N0} users/s   direct {d,12:N0} users/s   fire-and-forget {b,12:N0} users/s   ratios {p / b:0.00} {d / b:0.00}");
        }
        double pm = Median(presence), dm = Median(direct), bm = Median(baseline);
        Console.WriteLine($"median: presence (store client) {pm:N0} users/s, direct {dm:N0} users/s, fire-and-forget {bm:N0} users/s; ratios to fire-and-forget {pm / bm:0.00}, {dm / bm:0.00}; direct / store client {dm / pm:0.00}");
        foreach (var (name, list) in cpu)
            Console.WriteLine($"CPU per write, medians: {name,-16} client {Median([.. list.Select(x => x.Client)]),6:0.00} µs   redis-server {Median([.. list.Select(x => x.Store)]),6:0.00} µs");
        long dbsize = (long)await db.ExecuteAsync("DBSIZE");
        return dbsize == users ? 0 : 1;

        async Task<double> MeasureAsync(IDatabase database, List<(double, double)> into, Func<Task<double>> run)
        {
            var process = Process.GetCurrentProcess();
            var clientBefore = process.TotalProcessorTime;
            double storeBefore = await StoreCpuAsync(database);
            double rate = await run();
            process.Refresh();
            double client = (process.TotalProcessorTime - clientBefore).TotalSeconds;
            double store = await StoreCpuAsync(database) - storeBefore;
            into.Add((client / users * 1e6, store / users * 1e6));
            return rate;
        }
    }

    /// <summary>redis-server's own CPU seconds so far (INFO cpu: used_cpu_sys + used_cpu_user).</summary>
    private static async Task<double> StoreCpuAsync(IDatabase db)
    {
        string info = (string)(await db.ExecuteAsync("INFO", "cpu"))!;
        double total = 0;
        foreach (var line in info.Split('\n'))
        {
            if (line.StartsWith("used_cpu_sys:", StringComparison.Ordinal) || line.StartsWith("used_cpu_user:", StringComparison.Ordinal))
                total += double.Parse(line[(line.IndexOf(':') + 1)..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        }
        return total;
    }

    /// <summary>One flush of <paramref name="users"/> distinct users through <paramref name="writer"/>, chunk by chunk.</summary>
    private static async Task<double> WriterAsync(IStoreWriter writer, int users)
    {
        var writes = new PendingWrite[users];
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        for (int i = 0; i < users; i++)
            writes[i] = new PendingWrite((ulong)i + 1, now, RecordKind.Heartbeat, 30_000);
        var outcomes = new WriteOutcome[users];
        var clock = Stopwatch.StartNew();
        await writer.WriteAsync(writes, outcomes);
        double seconds = clock.Elapsed.TotalSeconds;
        if (outcomes.Any(x => x != WriteOutcome.Created))
            throw new InvalidOperationException($"a write was not created: {outcomes.First(x => x != WriteOutcome.Created)}");
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
