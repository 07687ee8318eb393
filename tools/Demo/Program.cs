using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;
using CommandLine;
using CommandLine.Text;
using Presence.Client;
using Presence.Demo;
using Presence.Testing;

// presence-demo: the whole system on one machine. Exit 0 when every simulated user was
// verified online, 1 otherwise, 2 for bad options.

var parsed = new Parser(s => s.HelpWriter = null).ParseArguments<DemoOptions>(args);
if (parsed is NotParsed<DemoOptions> notParsed)
{
    if (notParsed.Errors.Any(e => e.Tag is ErrorType.HelpRequestedError or ErrorType.VersionRequestedError))
    {
        Console.WriteLine(HelpText.AutoBuild(parsed, h =>
        {
            h.Heading = "presence-demo: runs the store, presence-ingest, presence-query and presence-loadgen, then prints a summary.";
            h.Copyright = "Usage: scripts/demo.sh [--users N] [--duration S] [--short] [--signed] [--redis CONFIG]";
            h.AdditionalNewLineAfterOption = false;
            return h;
        }, e => e));
        return 0;
    }
    Console.Error.WriteLine($"presence-demo: bad option: {notParsed.Errors.First().Tag} (see --help)");
    return 2;
}
var o = ((Parsed<DemoOptions>)parsed).Value;
o.ApplyShort();
o.Redis ??= Environment.GetEnvironmentVariable("PRESENCE_REDIS") is { Length: > 0 } env ? env : null;
if (o.Validate() is { } invalid)
{
    Console.Error.WriteLine($"presence-demo: {invalid} (see --help)");
    return 2;
}

await using var demo = new Demo(o);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; demo.Cancel(); });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; demo.Cancel(); });
return await demo.RunAsync();

namespace Presence.Demo
{
    /// <summary>Starts the parts as real processes, watches them, summarises, and always stops what it started.</summary>
    internal sealed class Demo(DemoOptions o) : IAsyncDisposable
    {
        private readonly List<(string Name, Process Process, StringWriter Log)> _started = [];
        private readonly CancellationTokenSource _cancel = new();
        /// <summary>Users watched through event streams (the first ones).</summary>
        private const int WatchedUsers = 1000;

        private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
        private readonly EventWatcher _events = new();
        private string? _keyFile;
        private string? _adminKeyFile;
        private string? _adminKey;

        public void Cancel() => _cancel.Cancel();

        public async Task<int> RunAsync()
        {
            int udp = FreePort(SocketType.Dgram), ingestHttp = FreePort(SocketType.Stream), queryHttp = FreePort(SocketType.Stream);
            int storePort = FreePort(SocketType.Stream);
            string store = o.Redis ?? $"127.0.0.1:{storePort}";
            string storeText = o.Redis is null ? $"embedded Garnet on 127.0.0.1:{storePort} (inside presence-ingest)" : $"Redis {o.Redis}";
            string prefix = $"demo:{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}:";
            Say($"store: {storeText}; key prefix {prefix}");
            try
            {
                if (o.Signed)
                    _keyFile = WriteKeyFile();

                var ingestArgs = new List<string> { "--udp", $"127.0.0.1:{udp}", "--http", $"127.0.0.1:{ingestHttp}", "--prefix", prefix };
                ingestArgs.AddRange(o.Redis is null ? ["--embedded-port", storePort.ToString(CultureInfo.InvariantCulture)] : ["--redis", o.Redis]);
                if (_keyFile is not null)
                    ingestArgs.AddRange(["--keys", _keyFile, "--require-signed"]);
                Start("presence-ingest", ingestArgs);
                await WaitReady("presence-ingest", $"http://127.0.0.1:{ingestHttp}/readyz");

                // The demo runs the store, both services and the load on one machine, often a laptop busy
                // with other work, and --verify stops at the first 503: the query waits for the store
                // up to 5 s (the service's default is 1 s, for production, where a late answer is worse
                // than a quick 503).
                // An admin key of the demo's own (a file of mode 600, deleted at the end), to write one group.
                _adminKey = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
                _adminKeyFile = WriteSecretFile("admin-keys", _adminKey);
                Start("presence-query", ["--http", $"127.0.0.1:{queryHttp}", "--redis", store, "--prefix", prefix, "--store-timeout-ms", "5000",
                    "--admin-keys", _adminKeyFile]);
                await WaitReady("presence-query", $"http://127.0.0.1:{queryHttp}/readyz");

                // An app's view: event streams on a sample of the users, open before the first heartbeat.
                int watched = Math.Min(WatchedUsers, o.Users);
                int streams = Math.Min(10, watched);
                await _events.StartAsync($"http://127.0.0.1:{queryHttp}", watched, streams, _cancel.Token);
                Say($"watching users 1-{watched} through {streams} event streams; while the demo runs, open http://127.0.0.1:{queryHttp}/ui?ids=1-20 (the console, watching users 1-20)");

                var loadArgs = new List<string>
                {
                    "--target", $"127.0.0.1:{udp}", "--users", Str(o.Users), "--interval", Str(o.Interval),
                    "--duration", Str(o.Duration), "--per-frame", Str(o.PerFrame),
                    "--verify", $"http://127.0.0.1:{queryHttp}", "--json",
                };
                if (_keyFile is not null)
                    loadArgs.AddRange(["--keys", _keyFile]);
                Say($"presence-loadgen: {o.Users:N0} users, a heartbeat each every {o.Interval} s, for {o.Duration} s ({o.PerFrame} record(s) per frame{(o.Signed ? ", signed" : "")})");
                var (exit, json) = await RunLoadGen(loadArgs);
                if (_cancel.IsCancellationRequested)
                {
                    Say("interrupted; stopping everything");
                    return 1;
                }
                if (json is null)
                {
                    Say($"presence-loadgen exited with {exit} and printed no summary");
                    return 1;
                }

                var metrics = await Scrape($"http://127.0.0.1:{ingestHttp}/metrics");
                var latencies = await TimeBatchQueries($"http://127.0.0.1:{queryHttp}", 20);
                await SignOutWatched(udp, watched);
                var after = await AfterSignOut($"http://127.0.0.1:{queryHttp}");
                after.Add(await SeveralDevices($"http://127.0.0.1:{queryHttp}", watched));
                return PrintSummary(storeText, json.Value, metrics, latencies, exit, queryHttp, after);
            }
            catch (DemoException e)
            {
                Say(e.Message);
                return 1;
            }
            catch (OperationCanceledException)
            {
                Say("interrupted; stopping everything");
                return 1;
            }
        }

        /// <summary>
        /// The watched users sign out (a short presence-loadgen run with --offline-at-end), so the
        /// streams see an offline event for each; waits until they have arrived (at most 10 s).
        /// </summary>
        private async Task SignOutWatched(int udp, int watched)
        {
            var args = new List<string> { "--target", $"127.0.0.1:{udp}", "--users", Str(watched), "--interval", "1", "--duration", "2", "--offline-at-end", "--json" };
            if (_keyFile is not null)
                args.AddRange(["--keys", _keyFile]);
            Say($"signing users 1-{watched} out: their streams get an offline (signout) event each");
            await RunLoadGen(args);
            var deadline = Stopwatch.StartNew();
            while (_events.Count("offline (signout)") < watched && deadline.Elapsed < TimeSpan.FromSeconds(10))
                await Task.Delay(50, _cancel.Token);
        }

        /// <summary>
        /// After the sign-outs: the online count (GET /v1/presence/count) and what the API answers for
        /// user 1, who signed out (its lastSeenMs), as summary rows.
        /// </summary>
        /// <summary>
        /// A user with three devices, as an app models it (HTTP-API.md, "Groups"): a group of user 1 (signed out) and two
        /// users still online, written with the demo's admin key and read with POST /v1/groups/presence, as a summary row.
        /// </summary>
        private async Task<(string Name, string Value)> SeveralDevices(string baseUrl, int watched)
        {
            const string name = "demo-user";
            ulong[] devices = [1, (ulong)Math.Min(o.Users, watched + 1), (ulong)Math.Min(o.Users, watched + 2)];
            const string row = "3-device user";
            string ids = $"ids {string.Join(", ", devices.Distinct())} as group '{name}'";
            try
            {
                using (var put = new HttpRequestMessage(HttpMethod.Put, new Uri($"{baseUrl}/v1/groups/{name}")))
                {
                    put.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _adminKey);
                    put.Content = new StringContent(JsonSerializer.Serialize(new { ids = devices }), System.Text.Encoding.UTF8, "application/json");
                    using var written = await _http.SendAsync(put, _cancel.Token);
                    written.EnsureSuccessStatusCode();
                }
                using var asked = await _http.PostAsync(new Uri($"{baseUrl}/v1/groups/presence"),
                    new StringContent($$"""{"names":["{{name}}"]}""", System.Text.Encoding.UTF8, "application/json"), _cancel.Token);
                asked.EnsureSuccessStatusCode();
                using var answer = JsonDocument.Parse(await asked.Content.ReadAsStringAsync(_cancel.Token));
                var group = answer.RootElement.GetProperty("groups")[0];
                var seen = group.GetProperty("lastSeenMs");
                return (row, $"{ids}: {(group.GetProperty("online").GetBoolean() ? "online" : "offline")} on {group.GetProperty("onlineMembers").GetInt32()} of "
                    + $"{group.GetProperty("members").GetInt32()} (POST /v1/groups/presence), latest lastSeenMs "
                    + (seen.ValueKind == JsonValueKind.Number ? $"{DateTimeOffset.FromUnixTimeMilliseconds(seen.GetInt64()):HH:mm:ss.fff} UTC" : "null"));
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or InvalidOperationException or TaskCanceledException)
            {
                return (row, $"{ids}: not answered: {e.Message}");
            }
        }

        private async Task<List<(string Name, string Value)>> AfterSignOut(string baseUrl)
        {
            var rows = new List<(string, string)>();
            try
            {
                using var count = JsonDocument.Parse(await _http.GetStringAsync(new Uri(baseUrl + "/v1/presence/count"), _cancel.Token));
                long at = count.RootElement.GetProperty("at").GetInt64();
                rows.Add(("online now", $"{count.RootElement.GetProperty("online").GetInt64():N0} users (GET /v1/presence/count, exact as of the events log at {DateTimeOffset.FromUnixTimeMilliseconds(at):HH:mm:ss.fff} UTC)"));
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or TaskCanceledException)
            {
                rows.Add(("online now", $"not answered: {e.Message}"));
            }
            try
            {
                using var one = JsonDocument.Parse(await _http.GetStringAsync(new Uri(baseUrl + "/v1/presence/1"), _cancel.Token));
                var seen = one.RootElement.GetProperty("lastSeenMs");
                rows.Add(("user 1, signed out", $"online {one.RootElement.GetProperty("online").GetBoolean().ToString().ToLowerInvariant()}, lastSeenMs "
                    + (seen.ValueKind == JsonValueKind.Number ? $"{seen.GetInt64()} ({DateTimeOffset.FromUnixTimeMilliseconds(seen.GetInt64()):HH:mm:ss} UTC)" : "null")));
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or KeyNotFoundException or TaskCanceledException)
            {
                rows.Add(("user 1, signed out", $"not answered: {e.Message}"));
            }
            return rows;
        }

        private int PrintSummary(string store, JsonElement load, Dictionary<string, double> m, List<double> latencies, int loadExit, int queryHttp,
            List<(string Name, string Value)> after)
        {
            double elapsed = load.GetProperty("elapsedSeconds").GetDouble();
            long sent = load.GetProperty("recordsSent").GetInt64();
            double received = Metric(m, "presence_records_accepted_total");
            double writes = Metric(m, "presence_store_writes_total{result=\"ok\"}");
            double failed = Metric(m, "presence_store_writes_total{result=\"failed\"}");
            double malformed = Metric(m, "presence_frames_malformed_total");
            double kernelDrops = Metric(m, "presence_udp_kernel_drops_total");
            var verify = load.TryGetProperty("verify", out var v) && v.ValueKind == JsonValueKind.Object ? v : (JsonElement?)null;
            latencies.Sort();

            Console.WriteLine();
            Console.WriteLine("== Presence demo: summary ==");
            Row("store", store);
            Row("simulated", $"{o.Users:N0} users, every {o.Interval} s, for {elapsed:0.0} s");
            Row("heartbeats sent", $"{sent:N0} ({sent / elapsed:N0}/s)");
            Row("heartbeats received", $"{received:N0} ({received / elapsed:N0}/s); malformed frames {malformed:N0}, kernel drops {kernelDrops:N0}");
            Row("store writes", $"{writes:N0} ({writes / elapsed:N0}/s){(failed > 0 ? $", {failed:N0} failed and retried" : "")}");
            Row("coalescing", writes > 0 ? $"{received / writes:0.00} heartbeats per store write (one write per user per {100} ms window at most)" : "no writes");
            if (verify is { } vv)
            {
                Row("verified online", $"{vv.GetProperty("online").GetInt64():N0} of {vv.GetProperty("expected").GetInt64():N0} users that heartbeated within the TTL"
                    + (vv.GetProperty("missing").GetInt64() > 0 ? $"; MISSING {vv.GetProperty("missing").GetInt64():N0}" : ""));
            }
            else
            {
                Row("verified online", "no verification result");
            }
            if (latencies.Count > 0)
                Row("50-id batch query", $"{latencies[latencies.Count / 2]:0.00} ms median of {latencies.Count} (fastest {latencies[0]:0.00} ms, slowest {latencies[^1]:0.00} ms)");
            foreach (var line in _events.Summary())
                Row("events", line);
            foreach (var (name, value) in after)
                Row(name, value);
            Row("console", $"http://127.0.0.1:{queryHttp}/ui?ids=1-20 (while the demo runs)");
            bool ok = loadExit == 0 && verify is { } okv && okv.GetProperty("ok").GetBoolean();
            Row("result", ok ? "every user online: OK" : "FAILED (see above)");
            return ok ? 0 : 1;
        }

        private static void Row(string name, string value) => Console.WriteLine($"  {name,-20} {value}");

        private void Start(string name, IEnumerable<string> args, bool inheritStderr = false)
        {
            var psi = new ProcessStartInfo("dotnet")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = !inheritStderr,
            };
            psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, name + ".dll"));
            foreach (var a in args)
                psi.ArgumentList.Add(a);
            var process = Process.Start(psi) ?? throw new DemoException($"{name} did not start");
            var log = new StringWriter();
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
            process.BeginOutputReadLine();
            if (!inheritStderr)
            {
                process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.WriteLine(e.Data); };
                process.BeginErrorReadLine();
            }
            _started.Add((name, process, log));
        }

        private async Task<(int Exit, JsonElement? Json)> RunLoadGen(List<string> args)
        {
            // stderr is the terminal's, so its live progress line shows; stdout carries the JSON summary.
            Start("presence-loadgen", args, inheritStderr: true);
            var (_, process, log) = _started[^1];
            await process.WaitForExitAsync(_cancel.Token);
            process.WaitForExit();
            string output;
            lock (log)
                output = log.ToString();
            var line = output.Split('\n').LastOrDefault(l => l.TrimStart().StartsWith('{'));
            return (process.ExitCode, line is null ? null : JsonDocument.Parse(line).RootElement.Clone());
        }

        private async Task WaitReady(string name, string url)
        {
            var deadline = Stopwatch.StartNew();
            var (_, process, log) = _started[^1];
            while (deadline.Elapsed < TimeSpan.FromSeconds(60))
            {
                _cancel.Token.ThrowIfCancellationRequested();
                if (process.HasExited)
                {
                    lock (log)
                        throw new DemoException($"{name} exited with {process.ExitCode}:\n{log}");
                }
                try
                {
                    using var r = await _http.GetAsync(url, _cancel.Token);
                    if (r.IsSuccessStatusCode)
                    {
                        Say($"{name} ready");
                        return;
                    }
                }
                catch (HttpRequestException)
                {
                }
                await Task.Delay(100, _cancel.Token);
            }
            throw new DemoException($"{name} was not ready within 60 s");
        }

        private async Task<Dictionary<string, double>> Scrape(string url)
        {
            return PrometheusText.Parse(await _http.GetStringAsync(url));
        }

        private static double Metric(Dictionary<string, double> m, string name) => m.GetValueOrDefault(name);

        private async Task<List<double>> TimeBatchQueries(string baseUrl, int count)
        {
            var ids = Enumerable.Range(1, Math.Min(50, o.Users)).Select(i => (ulong)i).ToArray();
            using var client = new PresenceClient(new Uri(baseUrl), new PresenceClientOptions { Timeout = TimeSpan.FromSeconds(5), UseProxy = false });
            var times = new List<double>();
            for (int i = 0; i < count; i++)
            {
                var clock = Stopwatch.StartNew();
                try
                {
                    await client.GetAsync(ids, _cancel.Token);
                    times.Add(clock.Elapsed.TotalMilliseconds);
                }
                catch (PresenceException e)
                {
                    Say($"batch query failed: {e.Message}");
                }
            }
            return times;
        }

        private static string WriteKeyFile()
        {
            var path = WriteSecretFile("keys", $"1:{Convert.ToHexString(RandomNumberGenerator.GetBytes(32)).ToLowerInvariant()}");
            Say($"signed: master key file {path} (mode 600, deleted at the end)");
            return path;
        }

        /// <summary>A one-line file only this user may read (the services refuse key files others can read).</summary>
        private static string WriteSecretFile(string what, string line)
        {
            var path = Path.Combine(Path.GetTempPath(), $"presence-demo-{what}-{Environment.ProcessId}");
            using (var f = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            using (var w = new StreamWriter(f))
                w.WriteLine(line);
            return path;
        }

        private static int FreePort(SocketType type)
        {
            using var s = new Socket(AddressFamily.InterNetwork, type, type == SocketType.Dgram ? ProtocolType.Udp : ProtocolType.Tcp);
            s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            return ((IPEndPoint)s.LocalEndPoint!).Port;
        }

        private static string Str(int value) => value.ToString(CultureInfo.InvariantCulture);

        private static void Say(string text) => Console.Error.WriteLine($"[demo] {text}");

        public async ValueTask DisposeAsync()
        {
            await _events.DisposeAsync();
            // Stop in reverse order with SIGTERM (the ingest writes what it holds), then wait.
            for (int i = _started.Count - 1; i >= 0; i--)
            {
                var (name, process, log) = _started[i];
                if (process.HasExited)
                    continue;
                _ = Signals.Kill(process.Id, Signals.SigTerm);
                using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                try
                {
                    await process.WaitForExitAsync(wait.Token);
                }
                catch (OperationCanceledException)
                {
                    Say($"{name} did not stop within 15 s; killing it");
                    process.Kill(entireProcessTree: true);
                }
            }
            foreach (var (_, process, _) in _started)
                process.Dispose();
            if (_keyFile is not null)
                File.Delete(_keyFile);
            if (_adminKeyFile is not null)
                File.Delete(_adminKeyFile);
            _http.Dispose();
            _cancel.Dispose();
        }
    }

    internal sealed class DemoException(string message) : Exception(message);
}
