using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Presence.Integration.Tests.Clients;

/// <summary>
/// A small real Server-Sent Events server on Kestrel at 127.0.0.1 port 0, answering
/// <c>POST /v1/presence/events</c> connection by connection from a script: a stream that ends,
/// a problem document, or a stream held open with keepalives. It records what each request sent.
/// What it tests is the client's reading of the events format (HTTP-API.md), not a store.
/// </summary>
internal sealed class SseServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<Func<HttpContext, Task>> _answers;

    private SseServer(WebApplication app, IEnumerable<Func<HttpContext, Task>> answers)
    {
        _app = app;
        _answers = new ConcurrentQueue<Func<HttpContext, Task>>(answers);
    }

    public Uri Url { get; private set; } = null!;

    /// <summary>Per request, in order: its Last-Event-ID header (null when absent), body, and path with its query string.</summary>
    public ConcurrentQueue<(string? LastEventId, string Body, string PathAndQuery)> Requests { get; } = new();

    /// <summary>Per request, in order: when it arrived, on a clock started with the server.</summary>
    public ConcurrentQueue<TimeSpan> Arrivals { get; } = new();

    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    public static async Task<SseServer> StartAsync(params Func<HttpContext, Task>[] answers)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var server = new SseServer(app, answers);
        app.MapPost("/v1/presence/events", server.Answer);
        await app.StartAsync();
        server.Url = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return server;
    }

    /// <summary>Sends <paramref name="text"/> as an event stream, then ends it.</summary>
    public static Func<HttpContext, Task> Stream(string text) => async context =>
    {
        StartStream(context);
        await context.Response.WriteAsync(text);
    };

    /// <summary>An RFC 9457 problem with <paramref name="status"/>.</summary>
    public static Func<HttpContext, Task> Problem(int status, string type, string detail, int? retryAfter = null) => async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/problem+json";
        if (retryAfter is int seconds)
            context.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await context.Response.WriteAsync($$"""{"type":"{{type}}","title":"t","status":{{status}},"detail":"{{detail}}"}""");
    };

    /// <summary>Sends <paramref name="text"/>, then nothing but keepalives until the client leaves.</summary>
    public static Func<HttpContext, Task> Hold(string text) => async context =>
    {
        StartStream(context);
        await context.Response.WriteAsync(text, context.RequestAborted);
        try
        {
            while (!context.RequestAborted.IsCancellationRequested)
            {
                await context.Response.WriteAsync(": keepalive\n\n", context.RequestAborted);
                await Task.Delay(50, context.RequestAborted);
            }
        }
        catch (OperationCanceledException)
        {
        }
    };

    private async Task Answer(HttpContext context)
    {
        Arrivals.Enqueue(_clock.Elapsed);
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        var lastEventId = context.Request.Headers["Last-Event-ID"].FirstOrDefault();
        Requests.Enqueue((lastEventId, body, context.Request.Path.Value + context.Request.QueryString.Value));
        var answer = _answers.TryDequeue(out var next) ? next : Hold("");
        await answer(context);
    }

    private static void StartStream(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-store";
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
