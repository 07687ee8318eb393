using System.Diagnostics;
using System.Globalization;
using Presence.Testing;

namespace Presence.Bench.EndToEnd;

/// <summary>
/// The store's own ceiling: redis-benchmark's pipelined <c>SET presence:&lt;id&gt; &lt;ms&gt; PX 30000</c>
/// (<c>-P 64</c>, 50 clients, keys over <see cref="Keys"/> ids) against the benchmark's redis-server,
/// read from its CSV line; what the server takes when nothing else runs and no client waits for an
/// answer before sending more. The overload part and the ladder both measure it, on the same server.
/// </summary>
internal static class StoreCeiling
{
    /// <summary>Ids the benchmark's keys are spread over (-r): the flood's and the seed workload's million users.</summary>
    public const int Keys = 1_000_000;

    /// <summary>Runs redis-benchmark for <paramref name="requests"/> SETs, prints its rate and the CPU it and redis-server used, and returns the rate.</summary>
    public static double Measure(RedisServer redis, int requests)
    {
        double reaped = ProcStat.ReapedChildrenCpuSeconds(), redisBefore = ProcStat.CpuSeconds(redis.Pid);
        var clock = Stopwatch.StartNew();
        string output = ChildProcess.Run("redis-benchmark", TimeSpan.FromMinutes(5), "-h", "127.0.0.1", "-p", redis.Port.ToString(CultureInfo.InvariantCulture), "-P", "64", "-c", "50",
            "-n", requests.ToString(CultureInfo.InvariantCulture), "-r", Keys.ToString(CultureInfo.InvariantCulture), "--csv",
            "SET", "presence:__rand_int__", "1764000000000", "PX", "30000");
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("\"SET", StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"redis-benchmark printed no SET line: {output}");
        double rate = double.Parse(line.Split(',')[1].Trim('"'), CultureInfo.InvariantCulture);
        double seconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  redis-benchmark -P 64 SET … PX: {rate:N0}/s; CPU redis-benchmark {(ProcStat.ReapedChildrenCpuSeconds() - reaped) / seconds:0.00}, redis-server {(ProcStat.CpuSeconds(redis.Pid) - redisBefore) / seconds:0.00}"));
        return rate;
    }
}
