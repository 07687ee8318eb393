using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Presence.Testing;

namespace Presence.Bench.EndToEnd;

/// <summary>
/// A receiver under test, started as its own process on a free UDP port against the benchmark's
/// redis-server: presence-ingest (its counts from /metrics) or presence-baseline (its counts from
/// the JSON line it prints every 250 ms).
/// </summary>
internal sealed class Receiver : IAsyncDisposable
{
    private const int BaselineReportMs = 250;

    private readonly ChildProcess _child;
    private ReceiverCounts? _final;

    private Receiver(SystemKind system, ChildProcess child, int udpPort, int httpPort)
    {
        System = system;
        _child = child;
        UdpPort = udpPort;
        HttpPort = httpPort;
    }

    public SystemKind System { get; }

    public int UdpPort { get; }

    public int HttpPort { get; }

    public int Pid => _child.Pid;

    public static async Task<Receiver> StartAsync(SystemKind system, Binaries bins, int redisPort, IReadOnlyList<string> ingestArgs)
    {
        int udpPort = FreePort.Udp();
        int httpPort = FreePort.Tcp();
        string redis = $"127.0.0.1:{redisPort}";
        var child = system == SystemKind.Presence
            ? ChildProcess.StartFile("presence-ingest", "dotnet", [bins.Ingest, "--udp", $"127.0.0.1:{udpPort}", "--http", $"127.0.0.1:{httpPort}", "--redis", redis, "--ttl", "30", .. ingestArgs])
            : ChildProcess.StartFile("presence-baseline", "dotnet", bins.Baseline, "--udp", $"127.0.0.1:{udpPort}", "--redis", redis, "--ttl", "30",
                "--report-ms", BaselineReportMs.ToString(CultureInfo.InvariantCulture));
        var receiver = new Receiver(system, child, udpPort, httpPort);
        try
        {
            await receiver.WaitReadyAsync();
            return receiver;
        }
        catch
        {
            await receiver.DisposeAsync();
            throw;
        }
    }

    /// <summary>What the receiver has counted so far (the kernel's drops included, read while its socket is bound).</summary>
    public async Task<ReceiverCounts> CountsAsync()
    {
        if (_final is not null)
            return _final;
        long kernel = ProcStat.UdpDrops(UdpPort);
        if (System == SystemKind.Presence)
        {
            var m = await Metrics.ScrapeAsync(HttpPort);
            double rejected = m.Where(kv => kv.Key.StartsWith("presence_records_rejected_total{", StringComparison.Ordinal)).Sum(kv => kv.Value);
            var drops = new Dictionary<string, long>
            {
                ["kernel"] = kernel,
                ["malformed_frames"] = (long)m.Get("presence_frames_malformed_total"),
                ["rejected"] = (long)rejected,
                ["queue_full"] = (long)m.Get("presence_records_dropped_total{reason=\"queue_full\"}"),
                ["pending_full"] = (long)m.Get("presence_records_dropped_total{reason=\"pending_full\"}"),
                ["expired"] = (long)m.Get("presence_users_expired_total"),
            };
            return new ReceiverCounts((long)m.Get("presence_records_accepted_total"), (long)m.Get("presence_store_writes_total{result=\"ok\"}"),
                (long)m.Get("presence_pending_users"), drops, m);
        }
        var line = LastCountsLine() ?? throw new InvalidOperationException("presence-baseline printed no counts");
        return BaselineCounts(line, kernel);
    }

    /// <summary>
    /// Late is not lost: waits until the receiver holds nothing (the ingest's pending users 0, the
    /// baseline's queue empty) and its confirmed writes stopped growing (the same over two readings
    /// 300 ms apart), or <paramref name="timeout"/> passes. Returns whether it drained.
    /// </summary>
    public async Task<bool> DrainAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        long lastWritten = -1;
        while (clock.Elapsed < timeout)
        {
            var counts = await CountsAsync();
            if (counts.Outstanding == 0 && counts.Written == lastWritten)
                return true;
            lastWritten = counts.Outstanding == 0 ? counts.Written : -1;
            await Task.Delay(300);
        }
        return false;
    }

    /// <summary>
    /// presence-ingest only: waits until every transition it saw is appended to the events log (its
    /// <c>presence_event_log_backlog</c> 0: nothing queued, nobody held), or <paramref name="timeout"/>
    /// passes. Returns the seconds it took, null when it did not get there, and the last scrape.
    /// </summary>
    public async Task<(double? Seconds, Dictionary<string, double> Metrics)> EventLogCaughtUpAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var m = await Metrics.ScrapeAsync(HttpPort);
            if (m.Get("presence_event_log_backlog") == 0)
                return (clock.Elapsed.TotalSeconds, m);
            if (clock.Elapsed >= timeout)
                return (null, m);
            await Task.Delay(500);
        }
    }

    public long PeakRssBytes() => ProcStat.PeakRssBytes(Pid);

    /// <summary>VmRSS and VmHWM now.</summary>
    public (long RssBytes, long PeakRssBytes) Memory() => ProcStat.Memory(Pid);

    /// <summary>Sends <paramref name="signal"/> to the receiver's process group (SIGSTOP and SIGCONT: <see cref="ReceiverFreeze"/>).</summary>
    public void Signal(int signal) => _child.Signal(signal);

    /// <summary>SIGTERM, then waits (120 s at most) for it to finish what it holds and exit; the baseline's counts are then final.</summary>
    public async Task<string> StopAsync()
    {
        if (_child.HasExited)
            return $" ({Report.Name(System)} had exited {_child.ExitCode})";
        long kernel = ProcStat.UdpDrops(UdpPort);
        Console.WriteLine($"$ kill -TERM {Pid}");
        _child.Signal(Signals.SigTerm);
        string note = "";
        try
        {
            await _child.WaitForExitAsync(TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException)
        {
            note = " (killed: did not stop within 120 s)";
        }
        _child.Stop(TimeSpan.Zero); // kills it if it did not stop; waits for its output either way
        if (System == SystemKind.Baseline && LastCountsLine() is { } line)
            _final = BaselineCounts(line, kernel);
        return note;
    }

    public ValueTask DisposeAsync()
    {
        _child.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };
        while (DateTime.UtcNow < deadline)
        {
            _child.ThrowIfExited(" before it was ready");
            if (System == SystemKind.Baseline)
            {
                if (_child.Stderr.Contains("presence-baseline: UDP", StringComparison.Ordinal))
                    return;
            }
            else
            {
                try
                {
                    using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}/readyz"));
                    if (response.IsSuccessStatusCode)
                        return;
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    // not listening yet
                }
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{Report.Name(System)} not ready within 60 s");
    }

    private string? LastCountsLine()
    {
        return _child.Stdout.Split('\n').LastOrDefault(l => l.StartsWith('{') && l.TrimEnd().EndsWith('}'));
    }

    private static ReceiverCounts BaselineCounts(string line, long kernel)
    {
        using var json = JsonDocument.Parse(line);
        var r = json.RootElement;
        long Get(string name) => r.TryGetProperty(name, out var v) ? v.GetInt64() : 0;
        var drops = new Dictionary<string, long>
        {
            ["kernel"] = kernel,
            ["malformed_frames"] = Get("frames_malformed"),
            ["queue_full"] = Get("records_dropped"),
            ["write_failed"] = Get("writes_failed"),
        };
        return new ReceiverCounts(Get("records"), Get("writes_ok"), Get("queued"), drops, null);
    }
}
