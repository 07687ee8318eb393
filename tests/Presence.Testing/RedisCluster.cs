using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Presence.Testing;

/// <summary>
/// A real Redis Cluster of three masters (no replicas, no persistence) on free loopback ports,
/// made with <c>redis-cli --cluster create</c>. Fault drills stop and restart one master.
/// </summary>
/// <remarks>
/// Every node gets an explicit cluster bus port (<c>--cluster-port</c>): the default, port + 10000,
/// overflows for the free ports Linux hands out (32768–60999). <c>cluster-require-full-coverage no</c>
/// keeps the other masters serving their slots while one is away, as an operator without replicas
/// would run it; a master that comes back reloads its nodes.conf, so it owns the same slots, empty.
/// </remarks>
public sealed class RedisCluster : IDisposable
{
    public const int MasterCount = 3;

    private static readonly TimeSpan s_formTimeout = TimeSpan.FromSeconds(30);
    private readonly List<RedisServer> _masters = [];

    private RedisCluster()
    {
    }

    public IReadOnlyList<RedisServer> Masters => _masters;

    /// <summary>StackExchange.Redis configuration string naming all three masters.</summary>
    public string Configuration =>
        string.Join(",", _masters.Select(m => $"127.0.0.1:{m.Port}")) + ",abortConnect=false,connectTimeout=2000,syncTimeout=2000";

    /// <summary>Starts three masters, forms the cluster and waits until every node says cluster_state:ok.</summary>
    public static RedisCluster Start()
    {
        var cluster = new RedisCluster();
        try
        {
            for (int i = 0; i < MasterCount; i++)
            {
                cluster._masters.Add(RedisServer.Start(
                    "--cluster-enabled", "yes",
                    "--cluster-config-file", "nodes.conf", // in the server's own directory, so one per node
                    "--cluster-node-timeout", "2000",
                    "--cluster-port", FreePort.Tcp().ToString(CultureInfo.InvariantCulture),
                    "--cluster-require-full-coverage", "no"));
            }
            cluster.Create();
            cluster.WaitHealthy();
            return cluster;
        }
        catch
        {
            cluster.Dispose();
            throw;
        }
    }

    /// <summary>Kills master <paramref name="index"/> (SIGKILL: an outage).</summary>
    public void Stop(int index) => _masters[index].Stop();

    /// <summary>Starts master <paramref name="index"/> again (same port, same slots, no data) and waits until the cluster is ok.</summary>
    public void Restart(int index)
    {
        _masters[index].Restart();
        WaitHealthy();
    }

    /// <summary>Waits until every running node reports cluster_state:ok and knows all three masters.</summary>
    public void WaitHealthy()
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            string? notOk = null;
            foreach (var m in _masters.Where(m => m.IsRunning))
            {
                var info = m.Command("CLUSTER", "INFO");
                if (!info.Contains("cluster_state:ok", StringComparison.Ordinal)
                    || !info.Contains($"cluster_known_nodes:{MasterCount}", StringComparison.Ordinal))
                {
                    notOk = $"node {m.Port}: {info}";
                    break;
                }
            }
            if (notOk is null)
                return;
            if (deadline.Elapsed > s_formTimeout)
                throw new TimeoutException($"Redis Cluster not ok after {s_formTimeout.TotalSeconds} s; {notOk}");
            Thread.Sleep(100);
        }
    }

    private void Create()
    {
        var psi = new ProcessStartInfo(FindCli())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add("--cluster");
        psi.ArgumentList.Add("create");
        foreach (var m in _masters)
            psi.ArgumentList.Add($"127.0.0.1:{m.Port}");
        foreach (var arg in new[] { "--cluster-replicas", "0", "--cluster-yes" })
            psi.ArgumentList.Add(arg);
        using var cli = Process.Start(psi) ?? throw new InvalidOperationException("redis-cli did not start.");
        var output = new StringBuilder();
        cli.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        cli.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        cli.BeginOutputReadLine();
        cli.BeginErrorReadLine();
        if (!cli.WaitForExit((int)s_formTimeout.TotalMilliseconds))
        {
            cli.Kill();
            throw new TimeoutException("redis-cli --cluster create did not finish.");
        }
        cli.WaitForExit();
        if (cli.ExitCode != 0)
        {
            lock (output)
                throw new InvalidOperationException($"redis-cli --cluster create failed with {cli.ExitCode}: {output}");
        }
    }

    /// <summary>redis-cli beside redis-server (same package family), else on PATH.</summary>
    private static string FindCli()
    {
        var beside = Path.Combine(Path.GetDirectoryName(RedisServer.FindBinary())!, "redis-cli");
        if (File.Exists(beside))
            return beside;
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, "redis-cli");
            if (File.Exists(candidate))
                return candidate;
        }
        throw new InvalidOperationException("redis-cli was not found: apt-get install redis-tools (scripts/test.sh does this as root).");
    }

    public void Dispose()
    {
        foreach (var m in _masters)
            m.Dispose();
        _masters.Clear();
    }
}
