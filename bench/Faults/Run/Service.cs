using System.Globalization;
using Presence.Testing;

namespace Presence.Bench.Faults.Run;

/// <summary>
/// One presence-ingest or presence-query of the run, on ports fixed for the whole run, so a restart
/// comes back where the sender and the subscribers look for it.
/// </summary>
internal sealed class Service(string name, string binaries, string[] args, int httpPort)
{
    private static readonly HttpClient s_http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(2) };

    private ChildProcess? _process;
    private int _incarnation;

    /// <summary>When set (<c>--history FILE</c>: FILE.logs), each process's output is written here when it is replaced and at the end, as NAME-N.log.</summary>
    public string? LogDirectory { get; init; }

    public string Name { get; } = name;
    public int HttpPort { get; } = httpPort;
    public bool IsQuery => Name.StartsWith("query", StringComparison.Ordinal);

    public ChildProcess Process => _process ?? throw new InvalidOperationException($"{Name} is not running");

    public static Service Ingest(string name, string binaries, int udpPort, string redis, int ttlSeconds, string? logDirectory)
    {
        int http = FreePort.Tcp();
        return new Service(name, binaries, ["presence-ingest.dll", "--udp", $"127.0.0.1:{udpPort}", "--reuseport", "--http", $"127.0.0.1:{http}",
            "--redis", redis, "--ttl", ttlSeconds.ToString(CultureInfo.InvariantCulture), "--events", "on"], http) { LogDirectory = logDirectory };
    }

    public static Service Query(string name, string binaries, string redis, string? logDirectory)
    {
        int http = FreePort.Tcp();
        return new Service(name, binaries, ["presence-query.dll", "--http", $"127.0.0.1:{http}", "--redis", redis], http) { LogDirectory = logDirectory };
    }

    /// <summary>Starts the process and waits until /readyz answers 200 (a port still held by the previous process is retried).</summary>
    public async Task StartAsync(CancellationToken cancel)
    {
        SaveLog();
        for (int attempt = 1; ; attempt++)
        {
            _process = ChildProcess.StartFile(Name, "dotnet", [Path.Combine(binaries, args[0]), .. args.Skip(1)]);
            _incarnation++;
            try
            {
                await WaitReadyAsync(TimeSpan.FromSeconds(90), cancel);
                return;
            }
            catch (InvalidOperationException) when (attempt < 5 && _process.Tail().Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                _process.Stop(TimeSpan.Zero);
                await Task.Delay(500 * attempt, cancel);
            }
        }
    }

    /// <summary>Writes the current process's output to <see cref="LogDirectory"/> (nothing when unset or never started).</summary>
    public void SaveLog()
    {
        if (LogDirectory is null || _process is null)
            return;
        Directory.CreateDirectory(LogDirectory);
        File.WriteAllText(Path.Combine(LogDirectory, $"{Name}-{_incarnation}.log"), _process.Log);
    }

    /// <summary>SIGKILL (a crash), waited for.</summary>
    public void Kill() => Process.Stop(TimeSpan.Zero);

    /// <summary>SIGTERM (a planned stop: drain and hand-over), waited for up to 30 s, then SIGKILL.</summary>
    public void Term() => Process.Stop(TimeSpan.FromSeconds(30));

    public async Task<bool> ReadyAsync(CancellationToken cancel)
    {
        try
        {
            using var response = await s_http.GetAsync(new Uri($"http://127.0.0.1:{HttpPort}/readyz"), cancel);
            return response.IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>Waits for /readyz 200; fails at once, with the process's own words, when it exits.</summary>
    public async Task WaitReadyAsync(TimeSpan limit, CancellationToken cancel) =>
        await Clock.UntilAsync(async () =>
        {
            Process.ThrowIfExited();
            return await ReadyAsync(cancel);
        }, limit, $"{Name} /readyz 200", cancel);

    /// <summary>The service's /metrics, each sample by its name with labels; null when unreachable.</summary>
    public async Task<IReadOnlyDictionary<string, double>?> MetricsAsync(CancellationToken cancel)
    {
        try
        {
            return PrometheusText.Parse(await s_http.GetStringAsync(new Uri($"http://127.0.0.1:{HttpPort}/metrics"), cancel));
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
        {
            return null;
        }
    }
}
