using System.Globalization;

namespace Presence.Bench.Events;

/// <summary>
/// One run of <see cref="LogRun"/>: transitions appended a second with <see cref="Nodes"/> query nodes
/// following, redis-server's cores and its CPU per transition, the appenders' own cores (this
/// process), each node's cores (mean), the farthest a node's feed was behind at the window's end and
/// how long the slowest took to read to the end once appending stopped.
/// </summary>
internal sealed record LogResult(int Nodes, int Run, double TransitionsPerSecond, double RedisCores, double AppenderCores,
    double NodeCores, double BehindLines, double CatchUpSeconds, int Failures)
{
    /// <summary>The log's online set, bytes per online user (every 64th hash measured), once filled.</summary>
    public double OnlineSetBytesPerUser { get; init; }

    /// <summary>How Redis holds the online set's hashes (listpack while small enough, else hashtable).</summary>
    public string OnlineSetEncoding { get; init; } = "";

    /// <summary>redis-server CPU per transition appended (and read by every node), µs.</summary>
    public double RedisUsPerTransition => TransitionsPerSecond == 0 ? 0 : RedisCores * 1e6 / TransitionsPerSecond;

    /// <summary>What one redis-server core would take at that cost: the node's ceiling when nothing else runs on it.</summary>
    public double AtOneCore => RedisUsPerTransition == 0 ? 0 : 1e6 / RedisUsPerTransition;

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Nodes} node(s): {TransitionsPerSecond:N0} transitions/s; redis-server {RedisCores:0.00} cores, {RedisUsPerTransition:0.00} µs a transition (one core: {AtOneCore:N0}/s); " +
        $"appenders {AppenderCores:0.00} cores; query node {NodeCores:0.00} cores each; feed behind {BehindLines:N0} lines at the end, caught up {CatchUpSeconds:0.0} s after; {Failures} failed calls; online set {OnlineSetBytesPerUser:0.0} bytes a user ({OnlineSetEncoding})");

    public static void Print(IReadOnlyList<LogResult> results)
    {
        Console.WriteLine("| query nodes | run | transitions/s | redis-server cores | redis µs / transition | at one redis core | appenders' cores | cores per query node | feed behind at end | caught up after | failed calls | online set, bytes a user |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
            Print(r, r.Run.ToString(CultureInfo.InvariantCulture));
        foreach (var group in results.GroupBy(r => r.Nodes))
        {
            static double Median(IEnumerable<double> values)
            {
                var sorted = values.Order().ToArray();
                return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
            }
            var g = group.ToArray();
            Print(new LogResult(group.Key, 0, Median(g.Select(r => r.TransitionsPerSecond)), Median(g.Select(r => r.RedisCores)),
                Median(g.Select(r => r.AppenderCores)), Median(g.Select(r => r.NodeCores)), Median(g.Select(r => r.BehindLines)),
                Median(g.Select(r => r.CatchUpSeconds)), g.Sum(r => r.Failures))
            {
                OnlineSetBytesPerUser = Median(g.Select(r => r.OnlineSetBytesPerUser)),
                OnlineSetEncoding = g[0].OnlineSetEncoding,
            }, $"**median of {g.Length}**");
        }
    }

    private static void Print(LogResult r, string run) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {r.Nodes} | {run} | {r.TransitionsPerSecond:N0} | {r.RedisCores:0.00} | {r.RedisUsPerTransition:0.00} | {r.AtOneCore:N0} | {r.AppenderCores:0.00} | {r.NodeCores:0.00} | {r.BehindLines:N0} | {r.CatchUpSeconds:0.0} s | {r.Failures} | {r.OnlineSetBytesPerUser:0.0} ({r.OnlineSetEncoding}) |"));
}
