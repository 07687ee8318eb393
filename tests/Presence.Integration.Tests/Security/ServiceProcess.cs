using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Presence.Core;
using Presence.Testing;

namespace Presence.Integration.Tests.Security;

/// <summary>
/// presence-ingest or presence-query as a child process (<see cref="ChildProcess"/>), with an
/// environment of its own, so a variable the client library reads (<c>SERedis_IssuerCertPath</c>)
/// reaches that service only, never the test process; and an HTTP client for its /readyz and
/// /metrics. Killed on dispose.
/// </summary>
internal sealed partial class ServiceProcess : IDisposable
{
    private readonly ChildProcess _process;

    private ServiceProcess(ChildProcess process)
    {
        _process = process;
    }

    /// <summary>The /readyz, /metrics base address the service logged, once it did (<see cref="StartAsync"/> waits for it).</summary>
    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    public string Log => _process.Log;

    /// <summary>
    /// Starts <paramref name="name"/> (<c>presence-ingest</c>, <c>presence-query</c>) with
    /// <paramref name="environment"/> laid over this process's (a null value removes the variable),
    /// and returns once it logged its HTTP address.
    /// </summary>
    public static Task<ServiceProcess> StartAsync(string name, IReadOnlyDictionary<string, string?> environment, params string[] args) =>
        StartThroughAsync(null, name, environment, args);

    /// <summary>As above, run through <paramref name="launcher"/> (<see cref="ChildProcess.Start(string, IEnumerable{string}, IReadOnlyDictionary{string, string?}?, IReadOnlyList{string}?)"/>).</summary>
    public static async Task<ServiceProcess> StartThroughAsync(IReadOnlyList<string>? launcher, string name, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var service = new ServiceProcess(ChildProcess.Start(name, args, environment, launcher));
        try
        {
            var address = await Eventually.Satisfy(() =>
            {
                service._process.ThrowIfExited(" before logging its HTTP address");
                return HttpAddress().Match(service.Log);
            }, match => match.Success, $"{name} logging its HTTP address", ChildProcess.StartupTimeout);
            service.Client.BaseAddress = new Uri(address.Value);
            return service;
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    public string Stderr => _process.Stderr;

    public bool HasExited => _process.HasExited;

    /// <summary>Waits until the log holds <paramref name="text"/>; fails at once if the service exits first.</summary>
    public Task WaitForLog(string text) => _process.WaitForLog(text);

    /// <summary>Sends a signal (<see cref="Signals.SigTerm"/>, <see cref="Signals.SigHup"/>).</summary>
    public void Signal(int signal) => _process.Signal(signal);

    /// <summary>SIGTERM, then waits for the exit (and the end of its output); returns the exit code.</summary>
    public Task<int> StopAsync()
    {
        _process.Signal(Signals.SigTerm);
        return _process.WaitForExitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>Sends one unsigned heartbeat for each of <paramref name="users"/> to an ingester's UDP port, ten to a datagram.</summary>
    public static void Heartbeat(int udpPort, IEnumerable<ulong> users)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var buffer = new byte[FrameFormat.MaxUdpFrameSize];
        uint now = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        foreach (var chunk in users.Chunk(10))
        {
            int n = FrameWriter.WriteUnsigned(buffer, chunk.Select(u => new HeartbeatRecord(u, now, 1, RecordKind.Heartbeat, 0)).ToArray());
            socket.SendTo(buffer.AsSpan(0, n), SocketFlags.None, new IPEndPoint(IPAddress.Loopback, udpPort));
        }
    }

    /// <summary>The status code of <c>GET /readyz</c>.</summary>
    public async Task<int> ReadyStatus()
    {
        using var response = await Client.GetAsync("/readyz");
        return (int)response.StatusCode;
    }

    /// <summary>The value of one sample of <c>/metrics</c> (e.g. <c>presence_store_writes_total{result="failed"}</c>), 0 when absent.</summary>
    public async Task<double> Metric(string sample) => PrometheusText.Sample(await Client.GetStringAsync("/metrics"), sample);

    public void Dispose()
    {
        Client.Dispose();
        _process.Dispose();
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:[1-9][0-9]*")]
    private static partial Regex HttpAddress();
}
