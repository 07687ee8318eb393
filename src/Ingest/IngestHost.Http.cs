using Microsoft.AspNetCore.Hosting.Server.Features;
using Presence.Hosting;
using Presence.Ingest.Internal.Infrastructure;

namespace Presence.Ingest;

/// <summary>Start-up, last step: the HTTP side (/metrics, /healthz, /readyz).</summary>
public sealed partial class IngestHost
{
    /// <summary>Starts the HTTP side (--http) and logs where it listens (<see cref="HttpAddress"/>: the bound port when --http gave port 0).</summary>
    private async Task StartHttpAsync()
    {
        _http = BuildHttp();
        await _http.StartAsync().ConfigureAwait(false);
        var addresses = _http.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        HttpAddress = new Uri(addresses.First());
        IngestLog.HttpListening(_logger, string.Join(", ", addresses));
    }

    private WebApplication BuildHttp()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, HttpHostLifetime>();
        builder.WebHost.ConfigureKestrel(k => k.Listen(_options.HttpEndPoint));
        var app = builder.Build();
        app.MapHealth();
        app.MapReady(NotReadyBecauseAsync);
        app.MapMetrics(Metrics.Registry, RefreshGaugesAsync);
        return app;
    }

    /// <summary>The <c>/readyz</c> probe: ready while the store answers a PING within --store-timeout-ms, until stopping.</summary>
    private async Task<string?> NotReadyBecauseAsync(CancellationToken cancel)
    {
        if (Volatile.Read(ref _stopped) != 0)
            return "stopping";
        try
        {
            var ping = _store!.Multiplexer.GetDatabase().PingAsync();
            var done = await Task.WhenAny(ping, Task.Delay(_options.StoreTimeoutMs, cancel)).ConfigureAwait(false);
            if (done == ping && ping.IsCompletedSuccessfully)
                return null;
        }
        catch (Exception e) when (StoreClientFailure.Is(e))
        {
        }
        return "store unreachable";
    }

    /// <summary>Gauges read on scrape rather than kept current: the kernel's drop count, unparsed TCP bytes, the store's keys.</summary>
    private async Task RefreshGaugesAsync()
    {
        if (_kernelStats?.ReadDrops() is long drops)
            Metrics.KernelDrops.IncTo(drops);
        if (_tcp is not null)
            Metrics.TcpBufferedBytes.Set(_tcp.BufferedBytes);
        if (_keyCounter is not null)
            Metrics.StoreKeys.Set(await _keyCounter.CountAsync().ConfigureAwait(false) ?? double.NaN);
    }
}
