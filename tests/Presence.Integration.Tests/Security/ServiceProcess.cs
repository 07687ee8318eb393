using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Presence.Testing;

namespace Presence.Integration.Tests.Security;

/// <summary>
/// presence-ingest or presence-query run as a child process (<c>dotnet NAME.dll ARGS</c>) with an
/// environment of its own, so a variable the client library reads (<c>SERedis_IssuerCertPath</c>)
/// reaches that service only, never the test process. Killed on dispose.
/// </summary>
internal sealed partial class ServiceProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private ServiceProcess(Process process)
    {
        _process = process;
    }

    /// <summary>The /readyz, /metrics base address the service logged, once it did (<see cref="StartAsync"/> waits for it).</summary>
    public HttpClient Client { get; } = new() { Timeout = TimeSpan.FromSeconds(10) };

    public string Log
    {
        get
        {
            lock (_log)
                return _log.ToString();
        }
    }

    /// <summary>
    /// Starts <paramref name="name"/> (<c>presence-ingest</c>, <c>presence-query</c>) with
    /// <paramref name="environment"/> laid over this process's (a null value removes the variable),
    /// and returns once it logged its HTTP address.
    /// </summary>
    public static async Task<ServiceProcess> StartAsync(string name, IReadOnlyDictionary<string, string?> environment, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, name + ".dll"));
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        foreach (var (key, value) in environment)
        {
            if (value is null)
                psi.Environment.Remove(key);
            else
                psi.Environment[key] = value;
        }
        var service = new ServiceProcess(Process.Start(psi) ?? throw new InvalidOperationException($"{name} did not start."));
        service._process.OutputDataReceived += (_, e) => service.Append(e.Data);
        service._process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        service._process.BeginOutputReadLine();
        service._process.BeginErrorReadLine();
        try
        {
            Match? address = null;
            await Eventually.Until(() =>
            {
                if (service._process.HasExited)
                    throw new InvalidOperationException($"{name} exited with {service._process.ExitCode}:\n{service.Log}");
                address = HttpAddress().Match(service.Log);
                return address.Success;
            }, $"{name} logging its HTTP address");
            service.Client.BaseAddress = new Uri(address!.Value);
            return service;
        }
        catch
        {
            service.Dispose();
            throw;
        }
    }

    /// <summary>The status code of <c>GET /readyz</c>.</summary>
    public async Task<int> ReadyStatus()
    {
        using var response = await Client.GetAsync("/readyz");
        return (int)response.StatusCode;
    }

    /// <summary>The value of one sample of <c>/metrics</c> (e.g. <c>presence_store_writes_total{result="failed"}</c>), 0 when absent.</summary>
    public async Task<double> Metric(string sample)
    {
        var text = await Client.GetStringAsync("/metrics");
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(sample + " ", StringComparison.Ordinal))
                return double.Parse(line.AsSpan(sample.Length + 1), System.Globalization.CultureInfo.InvariantCulture);
        }
        return 0;
    }

    private void Append(string? line)
    {
        lock (_log)
            _log.AppendLine(line);
    }

    public void Dispose()
    {
        Client.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
    }

    [GeneratedRegex(@"http://127\.0\.0\.1:[1-9][0-9]*")]
    private static partial Regex HttpAddress();
}
