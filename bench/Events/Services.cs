using System.Globalization;
using Presence.Testing;

namespace Presence.Bench.Events;

/// <summary>Starts the programs under test on free loopback ports and waits until they answer.</summary>
internal sealed class Services(string binaries, int redisPort, CancellationToken interrupt)
{
    private static readonly HttpClient s_http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };

    public CancellationToken Interrupt { get; } = interrupt;

    private string Redis => $"127.0.0.1:{redisPort}";

    public async Task<(ChildProcess Child, int UdpPort, int HttpPort)> StartIngestAsync(bool events)
    {
        int udp = FreePort.Udp();
        int http = FreePort.Tcp();
        var child = ChildProcess.StartFile("presence-ingest", "dotnet", Path.Combine(binaries, "presence-ingest.dll"),
            "--udp", $"127.0.0.1:{udp}", "--http", $"127.0.0.1:{http}", "--redis", Redis,
            "--ttl", BenchOptions.Ttl.ToString(CultureInfo.InvariantCulture), "--events", events ? "on" : "off");
        await WaitReadyAsync(child, http);
        return (child, udp, http);
    }

    /// <summary>presence-query on a free port; <paramref name="extra"/> adds options (e.g. --admin-keys).</summary>
    public async Task<(ChildProcess Child, int HttpPort)> StartQueryAsync(int subscribers, params string[] extra)
    {
        int http = FreePort.Tcp();
        var args = new List<string> { Path.Combine(binaries, "presence-query.dll"), "--http", $"127.0.0.1:{http}", "--redis", Redis };
        if (subscribers > 10_000)
            args.AddRange(["--max-subscribers", subscribers.ToString(CultureInfo.InvariantCulture)]); // past the default of 10,000
        args.AddRange(extra);
        var child = ChildProcess.StartFile("presence-query", "dotnet", [.. args]);
        await WaitReadyAsync(child, http);
        return (child, http);
    }

    /// <summary>presence-loadgen for <paramref name="seconds"/> with a JSON summary; <paramref name="extra"/> adds options (e.g. --churn).</summary>
    public ChildProcess StartLoadGen(int udpPort, int users, int seconds, params string[] extra) =>
        ChildProcess.StartFile("presence-loadgen", "dotnet", [Path.Combine(binaries, "presence-loadgen.dll"),
            "--target", $"127.0.0.1:{udpPort}", "--users", users.ToString(CultureInfo.InvariantCulture),
            "--interval", BenchOptions.Interval.ToString(CultureInfo.InvariantCulture),
            "--duration", seconds.ToString(CultureInfo.InvariantCulture), "--json", .. extra]);

    /// <summary>presence-loadgen with the runs' churn (<see cref="BenchOptions.Churn"/>, its timings, the TTL): the load of the events and groups runs.</summary>
    public ChildProcess StartChurnLoadGen(int udpPort, BenchOptions options, int seconds) =>
        StartLoadGen(udpPort, options.Users, seconds,
            "--churn", options.Churn.ToString(CultureInfo.InvariantCulture),
            "--churn-active", BenchOptions.ChurnActive.ToString(CultureInfo.InvariantCulture),
            "--churn-silent", BenchOptions.ChurnSilent.ToString(CultureInfo.InvariantCulture),
            "--churn-signout", BenchOptions.ChurnSignOut.ToString(CultureInfo.InvariantCulture),
            "--ttl", BenchOptions.Ttl.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// Opens one events stream on the node (id 1), reads its first bytes and closes it: the node's feed starts.
    /// A 503 (a cold node's first snapshot can outlast its store timeout while the store takes 100K heartbeats/s)
    /// is tried again, for up to 30 s.
    /// </summary>
    public async Task SubscribeOnceAsync(int queryHttp)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(30) };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpResponseMessage response;
        while (true)
        {
            response = await http.GetAsync(new Uri($"http://127.0.0.1:{queryHttp}/v1/presence/events?ids=1"), HttpCompletionOption.ResponseHeadersRead, Interrupt);
            if (response.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable || DateTime.UtcNow > deadline)
                break;
            Console.WriteLine($"  the node's first stream: 503 ({await response.Content.ReadAsStringAsync(Interrupt)}); again in 1 s");
            response.Dispose();
            await Task.Delay(1000, Interrupt);
        }
        using var answered = response;
        answered.EnsureSuccessStatusCode();
        await using var body = await answered.Content.ReadAsStreamAsync();
        var first = new byte[256];
        _ = await body.ReadAsync(first);
    }

    /// <summary>
    /// Writes each subscriber's block of <paramref name="layout"/> as its group of <paramref name="shape"/>
    /// (<c>PUT /v1/groups/{name}</c> with the admin key), <paramref name="atOnce"/> requests at a time;
    /// fails on the first answer that is not 200 with the expected member count.
    /// </summary>
    public async Task WriteGroupsAsync(int queryHttp, string adminKey, WatchLayout layout, StreamShape shape, int atOnce = 8)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(120) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", adminKey);
        await Parallel.ForAsync(0, layout.Subscribers, new ParallelOptions { MaxDegreeOfParallelism = atOnce, CancellationToken = Interrupt }, async (s, stop) =>
        {
            using var content = new ByteArrayContent(StreamShape.Body(layout, s));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await http.PutAsync(new Uri($"http://127.0.0.1:{queryHttp}/v1/groups/{shape.GroupName(s)}"), content, stop);
            string body = await response.Content.ReadAsStringAsync(stop);
            if (!response.IsSuccessStatusCode || !body.Contains($"\"members\":{layout.Watch}", StringComparison.Ordinal))
                throw new InvalidOperationException($"PUT /v1/groups/{shape.GroupName(s)} answered {(int)response.StatusCode}: {body}");
        });
    }

    /// <summary>The longest wait for the online burst of the start to be appended (and read).</summary>
    public static readonly TimeSpan CatchUpLimit = TimeSpan.FromSeconds(300);

    /// <summary>
    /// Waits until the online burst of the start (every user's first heartbeat found no key) is in
    /// the events log — the log grows, two seconds running, by no more than five times the expected
    /// steady rate — and, given a query node, until its feed has read as far as the ingester wrote.
    /// Returns how long it waited.
    /// </summary>
    public async Task<TimeSpan> WaitLogQuietAsync(int ingestHttp, int? queryHttp, double steadyPerSecond, params ChildProcess[] alive)
    {
        double quiet = Math.Max(50, 5 * steadyPerSecond);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        double before = -1;
        int quietSeconds = 0;
        while (true)
        {
            var ingestPage = await MetricsPage.ScrapeAsync(ingestHttp);
            double written = ingestPage["presence_event_log_last_seq"];
            double read = queryHttp is int port ? (await MetricsPage.ScrapeAsync(port))["presence_event_feed_position"] : double.MaxValue;
            quietSeconds = before >= 0 && written - before <= quiet ? quietSeconds + 1 : 0;
            if (quietSeconds >= 2 && read >= before)
                return clock.Elapsed;
            if (clock.Elapsed > CatchUpLimit)
            {
                throw new TimeoutException($"the events log was still growing by {written - before:N0} lines a second, or the query node's feed behind, after {CatchUpLimit.TotalSeconds:0} s "
                    + $"(log {written:N0}, feed {(queryHttp is null ? "-" : read.ToString("N0", CultureInfo.InvariantCulture))}, transitions dropped by the ingester {ingestPage["presence_transitions_dropped_total"]:N0}, pending users {ingestPage["presence_pending_users"]:N0})");
            }
            before = written;
            await WaitAsync(TimeSpan.FromSeconds(1), alive);
        }
    }

    /// <summary>Waits <paramref name="time"/>, failing early when one of <paramref name="alive"/> exits.</summary>
    public async Task WaitAsync(TimeSpan time, params ChildProcess[] alive)
    {
        var until = DateTime.UtcNow + time;
        while (DateTime.UtcNow < until)
        {
            foreach (var child in alive)
                child.ThrowIfExited();
            var left = until - DateTime.UtcNow;
            await Task.Delay(left < TimeSpan.FromSeconds(1) ? (left > TimeSpan.Zero ? left : TimeSpan.Zero) : TimeSpan.FromSeconds(1), Interrupt);
        }
    }

    private async Task WaitReadyAsync(ChildProcess child, int httpPort)
    {
        var deadline = DateTime.UtcNow.AddSeconds(90);
        while (DateTime.UtcNow < deadline)
        {
            child.ThrowIfExited();
            try
            {
                using var response = await s_http.GetAsync(new Uri($"http://127.0.0.1:{httpPort}/readyz"), Interrupt);
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !Interrupt.IsCancellationRequested)
            {
                // not listening yet
            }
            await Task.Delay(200, Interrupt);
        }
        throw new TimeoutException($"{child.Name} not ready within 90 s:\n{child.Tail()}");
    }
}
