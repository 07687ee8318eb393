using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Presence.Query.Internal.OpenApi;
using Presence.Query;

namespace Presence.Integration.Tests.Query;

/// <summary>The query service built in-process, on Kestrel at 127.0.0.1 port 0 (real TCP), with a client for it.</summary>
internal sealed class QueryHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<string>? _requests;

    private QueryHost(WebApplication app, QueryOptions options, string address, ConcurrentQueue<string>? requests)
    {
        _app = app;
        _requests = requests;
        Options = options;
        Client = new HttpClient { BaseAddress = new Uri($"http://{address}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Client { get; }

    public QueryOptions Options { get; }

    /// <summary>The (method, path) of every route the app maps, from its endpoint data source.</summary>
    public IReadOnlyList<(string Method, string Path)> Routes =>
        [.. OpenApiDescription.MappedRoutes(_app.Services.GetRequiredService<EndpointDataSource>())];

    /// <summary>
    /// Every request the service received, as <c>METHOD path?query</c> in arrival order (what a
    /// browser asked, seen from the server); only when started with <c>recordRequests</c>.
    /// </summary>
    public IReadOnlyList<string> Requests =>
        [.. _requests ?? throw new InvalidOperationException("started without recordRequests")];

    public static async Task<QueryHost> StartAsync(string redis, string prefix, Action<QueryOptions>? configure = null, bool recordRequests = false)
    {
        var options = new QueryOptions { Http = "127.0.0.1:0", Redis = redis, Prefix = prefix };
        configure?.Invoke(options);
        var app = QueryApp.Build(options);
        ConcurrentQueue<string>? requests = null;
        if (recordRequests)
        {
            // Appended after the app's own middleware: it sees each request that reaches the endpoints.
            var log = requests = new ConcurrentQueue<string>();
            app.Use((context, next) =>
            {
                log.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
                return next(context);
            });
        }
        await app.StartAsync();
        return new QueryHost(app, options, QueryApp.BoundAddress(app), requests);
    }

    public Task<HttpResponseMessage> PostJson(string json, string contentType = "application/json") =>
        Client.PostAsync(QueryApp.QueryRoute, new StringContent(json, Encoding.UTF8, MediaTypeHeaderValue.Parse(contentType)));

    /// <summary>The body as JSON, read under a deadline; fails naming the body when it is not.</summary>
    public static async Task<JsonElement> Json(HttpResponseMessage response)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var text = await response.Content.ReadAsStringAsync(deadline.Token);
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidOperationException($"Not JSON ({(int)response.StatusCode}): {text}", e);
        }
    }

    /// <summary>The value of one sample of /metrics (a family name, with its labels as exposed), or NaN when absent.</summary>
    public async Task<double> GaugeAsync(string sample)
    {
        var text = await Client.GetStringAsync("/metrics");
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(sample + " ", StringComparison.Ordinal))
                return double.Parse(line[(sample.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
        }
        return double.NaN;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
