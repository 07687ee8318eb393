using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Presence.Bench.EndToEnd;

// presence-e2e: Presence against the textbook receiver (presence-baseline), end to end, in one command.
//
// Use (from the repository root):
//   dotnet run -c Release --project bench/EndToEnd -- [--quick] [--duration S] [--rates 10000,20000,…]
//       [--repeat N] [--per-frame K] [--systems presence,baseline] [--seed-workload] [--chart FILE]
//
// It builds presence-ingest/-loadgen (tools/Demo) and presence-baseline, starts its own redis-server
// on a free port (no persistence), and for each offered rate, --repeat times (default 3), for each
// system in turn: FLUSHALL, start the receiver, run presence-loadgen (users = rate × interval,
// --per-frame records a frame, default 1) for the duration, stop the receiver with SIGTERM, then
// count lost users with pipelined EXISTS over every user id: every user heartbeated within the TTL,
// since the duration is at least one interval. Once a system's median loss at a rate exceeds 5%, its
// higher rates are skipped (they would only lose more). It prints the machine, every command, every
// run, a table of medians per (system, rate), the highest rate with a median of ≤ 0.1% lost users of
// each system and their ratio, and draws median lost users (%) against the median rate actually sent
// for both into --chart (docs/e2e-loss.svg). All traffic goes to 127.0.0.1; every load is bounded
// by --duration.

var options = E2eOptions.Parse(args);
if (options is null)
    return 2;
string root = Repo.FindRoot();
Environment.CurrentDirectory = root;

Console.WriteLine("== machine");
Console.WriteLine($"nproc: {Environment.ProcessorCount}");
Console.WriteLine($"cpu: {Machine.CpuModel()}");
Console.WriteLine($"kernel: {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}");
Console.WriteLine($"memory: {Machine.MemTotalGiB():0.0} GiB, load average {File.ReadAllText("/proc/loadavg").Trim()}");
Console.WriteLine($"redis: {Cmd.Capture("redis-server", "--version").Trim()}");
Console.WriteLine($".NET: {Environment.Version}");
Console.WriteLine($"run: {(options.Quick ? "--quick" : "full")}, duration {options.Duration} s, interval {options.Interval} s, ttl 30 s, {options.PerFrame} record(s) a frame, {options.Repeat} run(s) a point, rates {string.Join(", ", options.Rates.Select(r => r.ToString("N0", CultureInfo.InvariantCulture)))} heartbeats/s");
Console.WriteLine();

Console.WriteLine("== build");
Cmd.RunChecked("dotnet", "build", "tools/Demo", "-c", "Release", "-nologo", "-v:q", "-clp:NoSummary");
Cmd.RunChecked("dotnet", "build", "bench/Baseline", "-c", "Release", "-nologo", "-v:q", "-clp:NoSummary");
var bins = new Binaries(
    Ingest: Path.Combine(root, "tools/Demo/bin/Release/net10.0/presence-ingest.dll"),
    LoadGen: Path.Combine(root, "tools/Demo/bin/Release/net10.0/presence-loadgen.dll"),
    Baseline: Path.Combine(root, "bench/Baseline/bin/Release/net10.0/presence-baseline.dll"));

using var redis = RedisServer.Start();
await using var store = await Store.ConnectAsync(redis.Port);
Console.WriteLine();

var results = new List<RunResult>();
if (options.SeedWorkload)
{
    Console.WriteLine("== seed workload: 1,000,000 users × 10 s interval for 60 s against presence-ingest");
    var seed = await Runner.RunAsync(SystemKind.Presence, bins, store, redis.Port, rate: 100_000, users: 1_000_000, interval: 10, duration: 60, options.PerFrame);
    var memory = await store.UsedMemoryAsync();
    long keys = await store.DbSizeAsync();
    Console.WriteLine();
    Report.PrintTable([seed]);
    Console.WriteLine($"store: used_memory {memory:N0} bytes over {keys:N0} keys = {(keys > 0 ? (double)memory / keys : 0):N0} bytes per user (includes redis' own baseline)");
    Console.WriteLine();
}
var medians = new List<RunResult>();
var givenUp = new HashSet<SystemKind>();
foreach (int rate in options.Rates)
{
    var runs = new Dictionary<SystemKind, List<RunResult>>();
    for (int repeat = 1; repeat <= options.Repeat; repeat++)
    {
        foreach (var system in options.Systems.Where(s => !givenUp.Contains(s)))
        {
            Console.WriteLine($"== {Report.Name(system)}, {rate:N0} heartbeats/s offered, run {repeat} of {options.Repeat}");
            var result = await Runner.RunAsync(system, bins, store, redis.Port, rate, users: rate * options.Interval, options.Interval, options.Duration, options.PerFrame);
            results.Add(result);
            (runs.TryGetValue(system, out var list) ? list : runs[system] = []).Add(result);
            Report.PrintTable([result], header: false);
            Console.WriteLine();
        }
    }
    foreach (var (system, list) in runs)
    {
        var median = RunResult.Median(list);
        medians.Add(median);
        if (median.LostPercent > 5)
        {
            givenUp.Add(system);
            Console.WriteLine($"{Report.Name(system)} lost {median.LostPercent:0.0}% (median) at {rate:N0}/s: its higher rates are skipped");
        }
    }
}

if (results.Count > 0)
{
    Console.WriteLine("== every run");
    Report.PrintTable(results);
    Console.WriteLine();
    Console.WriteLine($"== medians of {options.Repeat} run(s) per point (each column on its own)");
    Report.PrintTable(medians);
    Console.WriteLine();
    Report.PrintCeilings(medians, options.Rates.Max());
    Chart.Write(medians, options.Chart, options.PerFrame);
    Console.WriteLine($"chart: {options.Chart}");
}
return 0;

namespace Presence.Bench.EndToEnd
{
    internal enum SystemKind { Presence, Baseline }

    internal sealed record Binaries(string Ingest, string LoadGen, string Baseline);

    internal sealed class E2eOptions
    {
        public bool Quick { get; private init; }
        public int Duration { get; private init; }
        public int Interval { get; private init; }
        public int[] Rates { get; private init; } = [];
        public SystemKind[] Systems { get; private init; } = [];
        public bool SeedWorkload { get; private init; }
        public int Repeat { get; private init; }
        public int PerFrame { get; private init; }
        public string Chart { get; private init; } = "docs/e2e-loss.svg";

        public static E2eOptions? Parse(string[] args)
        {
            bool quick = args.Contains("--quick");
            string? Value(string name)
            {
                int i = Array.IndexOf(args, name);
                return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
            }
            try
            {
                int duration = int.Parse(Value("--duration") ?? (quick ? "8" : "30"), CultureInfo.InvariantCulture);
                // Every user must heartbeat at least once during the run, so the interval never exceeds
                // the duration: the quick run (8 s) uses 4 s, i.e. users = rate × 4.
                int interval = Math.Min(10, Math.Max(1, duration / 2));
                var rates = (Value("--rates") ?? (quick ? "10000,40000,160000" : "10000,20000,40000,80000,100000,120000,160000"))
                    .Split(',').Select(r => int.Parse(r, CultureInfo.InvariantCulture)).ToArray();
                var systems = (Value("--systems") ?? "presence,baseline").Split(',')
                    .Select(s => s switch
                    {
                        "presence" => SystemKind.Presence,
                        "baseline" => SystemKind.Baseline,
                        _ => throw new FormatException($"--systems: unknown system {s}"),
                    }).ToArray();
                int repeat = int.Parse(Value("--repeat") ?? (quick ? "1" : "3"), CultureInfo.InvariantCulture);
                if (repeat < 1)
                    throw new FormatException("--repeat must be at least 1");
                int perFrame = int.Parse(Value("--per-frame") ?? "1", CultureInfo.InvariantCulture);
                if (perFrame is < 1 or > 91)
                    throw new FormatException("--per-frame must be 1 to 91");
                return new E2eOptions
                {
                    Quick = quick, Duration = duration, Interval = interval, Rates = rates, Systems = systems,
                    Repeat = repeat, PerFrame = perFrame,
                    SeedWorkload = args.Contains("--seed-workload"), Chart = Value("--chart") ?? "docs/e2e-loss.svg",
                };
            }
            catch (FormatException e)
            {
                Console.Error.WriteLine($"presence-e2e: {e.Message}");
                return null;
            }
        }
    }

    internal sealed record RunResult(
        SystemKind System, int OfferedRate, double SentRate, long Users, long RecordsSent, long Received,
        long Written, long Lost, double CpuCores, long PeakRssBytes, string Note)
    {
        public double LostPercent => Users == 0 ? 0 : 100.0 * Lost / Users;

        /// <summary>The generator sent at least 95% of the offered rate: the run tested that rate.</summary>
        public bool RateReached => SentRate >= 0.95 * OfferedRate;

        /// <summary>Per column, the median of runs of one (system, rate); counts are medians too, so a row need not be one run.</summary>
        public static RunResult Median(List<RunResult> runs)
        {
            static T Mid<T>(IEnumerable<T> values) where T : IComparable<T>
            {
                var sorted = values.Order().ToArray();
                return sorted[(sorted.Length - 1) / 2]; // lower median: an even count never invents a value
            }
            // Lost users: the median of the loss *shares*, then as a count of the median users.
            var byLoss = runs.OrderBy(r => r.LostPercent).ToArray()[(runs.Count - 1) / 2];
            return new RunResult(runs[0].System, runs[0].OfferedRate, Mid(runs.Select(r => r.SentRate)), byLoss.Users,
                Mid(runs.Select(r => r.RecordsSent)), Mid(runs.Select(r => r.Received)), Mid(runs.Select(r => r.Written)),
                byLoss.Lost, Mid(runs.Select(r => r.CpuCores)), Mid(runs.Select(r => r.PeakRssBytes)),
                $"median of {runs.Count}; lost % of the runs: {string.Join(" / ", runs.Select(r => r.LostPercent.ToString("0.000", CultureInfo.InvariantCulture)))}");
        }
    }

    internal static class Runner
    {
        public static async Task<RunResult> RunAsync(SystemKind system, Binaries bins, Store store, int redisPort, int rate, int users, int interval, int duration, int perFrame)
        {
            await store.FlushAllAsync();
            int udpPort = Ports.FreeUdp();
            int httpPort = Ports.FreeTcp();
            string redisAddress = $"127.0.0.1:{redisPort}";
            var receiver = system == SystemKind.Presence
                ? Cmd.Start("dotnet", bins.Ingest, "--udp", $"127.0.0.1:{udpPort}", "--http", $"127.0.0.1:{httpPort}", "--redis", redisAddress, "--ttl", "30")
                : Cmd.Start("dotnet", bins.Baseline, "--udp", $"127.0.0.1:{udpPort}", "--redis", redisAddress, "--ttl", "30");
            try
            {
                await WaitReadyAsync(system, receiver, httpPort);
                var cpuBefore = ProcStat.CpuTicks(receiver.Process.Id);
                var clock = Stopwatch.StartNew();
                var loadgen = Cmd.Start("dotnet", bins.LoadGen, "--target", $"127.0.0.1:{udpPort}", "--users", users.ToString(CultureInfo.InvariantCulture),
                    "--interval", interval.ToString(CultureInfo.InvariantCulture), "--duration", duration.ToString(CultureInfo.InvariantCulture),
                    "--per-frame", perFrame.ToString(CultureInfo.InvariantCulture), "--json");
                if (!loadgen.Process.WaitForExit(TimeSpan.FromSeconds(duration + 60)))
                {
                    loadgen.Process.Kill();
                    throw new InvalidOperationException("presence-loadgen did not finish");
                }
                loadgen.Process.WaitForExit();
                if (loadgen.Process.ExitCode != 0)
                    throw new InvalidOperationException($"presence-loadgen exited {loadgen.Process.ExitCode}: {loadgen.Stderr}");
                using var summary = JsonDocument.Parse(loadgen.Stdout.ToString());
                long recordsSent = summary.RootElement.GetProperty("recordsSent").GetInt64();
                double sentRate = summary.RootElement.GetProperty("recordsPerSecond").GetDouble();
                // Ids are JSON strings in the summary (64-bit ids do not fit a double).
                long covered = summary.RootElement.GetProperty("usersCovered").GetInt64();
                long firstId = summary.RootElement.TryGetProperty("firstId", out var f)
                    ? long.Parse(f.ValueKind == JsonValueKind.String ? f.GetString()! : f.GetRawText(), CultureInfo.InvariantCulture)
                    : 1;

                await Task.Delay(1500); // the last flush window (≤ 250 ms) and the baseline's queue
                var cpuAfter = ProcStat.CpuTicks(receiver.Process.Id);
                double seconds = clock.Elapsed.TotalSeconds;
                long peakRss = ProcStat.PeakRssBytes(receiver.Process.Id);
                long received = 0, written = 0;
                string note = "";
                if (system == SystemKind.Presence)
                {
                    var metrics = await Metrics.ScrapeAsync(httpPort);
                    received = (long)metrics.Get("presence_frames_received_total");
                    written = (long)metrics.Get("presence_store_writes_total{result=\"ok\"}");
                    note = $"kernel drops {metrics.Get("presence_udp_kernel_drops_total"):N0}, queue_full {metrics.Get("presence_records_dropped_total{reason=\"queue_full\"}"):N0}, coalesced {metrics.Get("presence_records_coalesced_total"):N0}";
                }
                Signals.Terminate(receiver.Process.Id);
                Console.WriteLine($"$ kill -TERM {receiver.Process.Id}");
                if (!receiver.Process.WaitForExit(TimeSpan.FromSeconds(120)))
                {
                    receiver.Process.Kill();
                    note += " (killed: did not stop within 120 s)";
                }
                receiver.Process.WaitForExit();
                if (system == SystemKind.Baseline)
                {
                    var line = receiver.Stdout.ToString().Split('\n').LastOrDefault(l => l.StartsWith('{'));
                    if (line is not null)
                    {
                        using var counts = JsonDocument.Parse(line);
                        received = counts.RootElement.GetProperty("frames_received").GetInt64();
                        written = counts.RootElement.GetProperty("writes_ok").GetInt64();
                        note = $"queue drops {counts.RootElement.GetProperty("records_dropped").GetInt64():N0}, failed {counts.RootElement.GetProperty("writes_failed").GetInt64():N0}";
                    }
                }
                long missing = await store.CountMissingAsync((ulong)firstId, users);
                Console.WriteLine($"  EXISTS presence:<id> for ids {firstId:N0} … {firstId + users - 1:N0} (pipelined): {missing:N0} missing, {users - covered:N0} never sent (loadgen usersCovered {covered:N0})");
                // A user the generator never sent (it fell behind its schedule) has no key whatever the
                // receiver did: only users sent and missing are lost by the receiver.
                long lost = missing - (users - covered);
                double cpu = (cpuAfter - cpuBefore) / ProcStat.TicksPerSecond / seconds;
                return new RunResult(system, rate, sentRate, covered, recordsSent, received, written, lost, cpu, peakRss, note);
            }
            finally
            {
                if (!receiver.Process.HasExited)
                    receiver.Process.Kill();
            }
        }

        private static async Task WaitReadyAsync(SystemKind system, Child receiver, int httpPort)
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };
            while (DateTime.UtcNow < deadline)
            {
                if (receiver.Process.HasExited)
                    throw new InvalidOperationException($"{Report.Name(system)} exited {receiver.Process.ExitCode}: {receiver.Stderr}");
                if (system == SystemKind.Baseline)
                {
                    if (receiver.Stderr.ToString().Contains("presence-baseline: UDP", StringComparison.Ordinal))
                        return;
                }
                else
                {
                    try
                    {
                        using var response = await http.GetAsync(new Uri($"http://127.0.0.1:{httpPort}/readyz"));
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
            throw new TimeoutException($"{Report.Name(system)} not ready within 60 s");
        }
    }

    internal static class Report
    {
        public static string Name(SystemKind system) => system == SystemKind.Presence ? "presence-ingest" : "presence-baseline";

        public static void PrintTable(IEnumerable<RunResult> results, bool header = true)
        {
            if (header)
            {
                Console.WriteLine($"{"system",-18} {"offered/s",10} {"sent/s",10} {"users sent",10} {"received",11} {"written",11} {"lost users",11} {"lost %",8} {"CPU",6} {"peak RSS",9}  notes");
            }
            foreach (var r in results)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{Name(r.System),-18} {r.OfferedRate,10:N0} {r.SentRate,10:N0} {r.Users,10:N0} {r.Received,11:N0} {r.Written,11:N0} {r.Lost,11:N0} {r.LostPercent,8:0.000} {r.CpuCores,6:0.00} {r.PeakRssBytes / 1048576.0,6:N0} MB  {(r.RateReached ? "" : "GENERATOR SHORT of the offered rate; ")}{r.Note}"));
            }
        }

        public static void PrintCeilings(List<RunResult> results, int maxRate)
        {
            var ceilings = new Dictionary<SystemKind, int?>();
            foreach (var system in results.Select(r => r.System).Distinct())
            {
                // The highest offered rate at which this system lost at most 0.1% of users.
                // Runs where the generator fell short of the offered rate did not test it and do not count.
                var ok = results.Where(r => r.System == system && r.RateReached && r.LostPercent <= 0.1).Select(r => r.OfferedRate).ToArray();
                ceilings[system] = ok.Length > 0 ? ok.Max() : null;
                string text = ceilings[system] is int c ? $"{c:N0} heartbeats/s{(c == maxRate ? " (the highest rate tried: a lower bound)" : "")}" : "none of the rates tried";
                var untested = results.Where(r => r.System == system && !r.RateReached).Select(r => r.OfferedRate.ToString("N0", CultureInfo.InvariantCulture)).ToArray();
                if (untested.Length > 0)
                    text += $" (not counted, generator short: {string.Join(", ", untested)})";
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"highest rate with ≤ 0.1% lost users, {Name(system)}: {text}"));
            }
            if (ceilings.TryGetValue(SystemKind.Presence, out var p) && ceilings.TryGetValue(SystemKind.Baseline, out var b))
            {
                if (p is int pc && b is int bc)
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"ratio presence / baseline: {(double)pc / bc:0.0}×{(pc == maxRate ? " (at least: presence did not reach its limit)" : "")}"));
                else
                    Console.WriteLine("ratio presence / baseline: undefined (a system lost > 0.1% at every rate tried)");
            }
        }
    }

    internal static class Chart
    {
        public static void Write(List<RunResult> results, string path, int perFrame)
        {
            var model = new OxyPlot.PlotModel
            {
                Title = "Lost users against heartbeats/s sent (end to end, 127.0.0.1)",
                Subtitle = $"{Environment.ProcessorCount} cores, {Machine.CpuModel()}; {perFrame} heartbeat(s) a datagram; medians; lost = sent within the TTL, no key after the run",
                Background = OxyPlot.OxyColors.White,
            };
            model.Axes.Add(new OxyPlot.Axes.LogarithmicAxis
            {
                Position = OxyPlot.Axes.AxisPosition.Bottom, Title = "heartbeats/s actually sent by presence-loadgen (median)", Base = 2,
                StringFormat = "#,0", MajorGridlineStyle = OxyPlot.LineStyle.Dot,
            });
            model.Axes.Add(new OxyPlot.Axes.LinearAxis
            {
                Position = OxyPlot.Axes.AxisPosition.Left, Title = "lost users (%, median)", Minimum = 0,
                MajorGridlineStyle = OxyPlot.LineStyle.Dot,
            });
            model.Legends.Add(new OxyPlot.Legends.Legend { LegendPosition = OxyPlot.Legends.LegendPosition.TopLeft });
            foreach (var system in results.Select(r => r.System).Distinct())
            {
                var series = new OxyPlot.Series.LineSeries
                {
                    Title = Report.Name(system),
                    MarkerType = system == SystemKind.Presence ? OxyPlot.MarkerType.Circle : OxyPlot.MarkerType.Square,
                    MarkerSize = 4,
                };
                // x is the rate the generator reached (below the offered rate when it fell short), so no point claims a rate that was not sent.
                foreach (var r in results.Where(r => r.System == system).OrderBy(r => r.OfferedRate))
                    series.Points.Add(new OxyPlot.DataPoint(r.SentRate, r.LostPercent));
                model.Series.Add(series);
            }
            string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (directory is not null)
                Directory.CreateDirectory(directory);
            using var stream = File.Create(path);
            new OxyPlot.SvgExporter { Width = 800, Height = 480 }.Export(model, stream);
        }
    }

    internal static class Machine
    {
        public static string CpuModel() =>
            File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";

        public static double MemTotalGiB()
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1048576.0;
        }
    }

    internal static class ProcStat
    {
        /// <summary>USER_HZ: the unit of /proc/PID/stat times, 100 on Linux.</summary>
        public const double TicksPerSecond = 100;

        /// <summary>utime + stime of the process, in clock ticks.</summary>
        public static long CpuTicks(int pid)
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the command name (which may hold spaces) start at state (field 3).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        }

        /// <summary>VmHWM: the process' peak resident set.</summary>
        public static long PeakRssBytes(int pid)
        {
            var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
    }

    internal static class Ports
    {
        public static int FreeTcp()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        public static int FreeUdp()
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return ((IPEndPoint)socket.LocalEndPoint!).Port;
        }
    }

    internal sealed class RedisServer : IDisposable
    {
        private readonly Child _child;

        private RedisServer(Child child, int port)
        {
            _child = child;
            Port = port;
        }

        public int Port { get; }

        public static RedisServer Start()
        {
            int port = Ports.FreeTcp();
            var child = Cmd.Start("redis-server", "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--logfile", "");
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (DateTime.UtcNow < deadline)
            {
                try
                {
                    using var client = new TcpClient();
                    client.Connect(IPAddress.Loopback, port);
                    return new RedisServer(child, port);
                }
                catch (SocketException)
                {
                    Thread.Sleep(100);
                }
            }
            throw new TimeoutException($"redis-server did not listen on {port}: {child.Stderr}{child.Stdout}");
        }

        public void Dispose()
        {
            if (!_child.Process.HasExited)
            {
                Signals.Terminate(_child.Process.Id);
                if (!_child.Process.WaitForExit(TimeSpan.FromSeconds(10)))
                    _child.Process.Kill();
            }
            _child.Process.Dispose();
        }
    }

    internal static class Metrics
    {
        public static async Task<Dictionary<string, double>> ScrapeAsync(int port)
        {
            using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
            string text = await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"));
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var line in text.Split('\n'))
            {
                if (line.Length == 0 || line[0] == '#')
                    continue;
                int space = line.LastIndexOf(' ');
                if (space > 0 && double.TryParse(line[(space + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out double v))
                    values[line[..space]] = v;
            }
            return values;
        }

        public static double Get(this Dictionary<string, double> metrics, string name) => metrics.TryGetValue(name, out double v) ? v : 0;
    }
}
