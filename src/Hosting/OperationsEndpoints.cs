using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Prometheus;

namespace Presence.Hosting;

/// <summary>
/// The endpoints every Presence service serves for operators, with one behaviour (OPERATIONS.md):
/// <c>GET /healthz</c> 200 while the process runs, never asking the store; <c>GET /readyz</c> 200
/// when the service's own probe finds it ready, else 503 saying why; <c>GET /metrics</c> the
/// service's Prometheus registry in text exposition.
/// </summary>
public static class OperationsEndpoints
{
    public const string HealthPath = "/healthz";
    public const string ReadyPath = "/readyz";
    public const string MetricsPath = "/metrics";

    private const string TextPlain = "text/plain; charset=utf-8";
    private const string PrometheusText = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary><c>GET /healthz</c>: <c>ok</c>, 200.</summary>
    public static IEndpointConventionBuilder MapHealth(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapGet(HealthPath, context => WriteText(context, StatusCodes.Status200OK, "ok"));

    /// <summary>
    /// <c>GET /readyz</c>: <paramref name="notReadyBecause"/> answers null when the service is ready
    /// (200 <c>ready</c>), else the reason, which <paramref name="writeNotReady"/> writes (by default
    /// a 503 with the reason as plain text).
    /// </summary>
    public static IEndpointConventionBuilder MapReady(this IEndpointRouteBuilder endpoints, Func<CancellationToken, Task<string?>> notReadyBecause,
        Func<HttpContext, string, Task>? writeNotReady = null)
    {
        ArgumentNullException.ThrowIfNull(notReadyBecause);
        return endpoints.MapGet(ReadyPath, async context =>
        {
            var reason = await notReadyBecause(context.RequestAborted).ConfigureAwait(false);
            if (reason is null)
                await WriteText(context, StatusCodes.Status200OK, "ready").ConfigureAwait(false);
            else if (writeNotReady is not null)
                await writeNotReady(context, reason).ConfigureAwait(false);
            else
                await WriteText(context, StatusCodes.Status503ServiceUnavailable, reason).ConfigureAwait(false);
        });
    }

    /// <summary>
    /// <c>GET /metrics</c>: <paramref name="registry"/> as Prometheus text. <paramref name="beforeScrape"/>
    /// runs first, for gauges read on demand (kernel counters, queue depths).
    /// </summary>
    public static IEndpointConventionBuilder MapMetrics(this IEndpointRouteBuilder endpoints, CollectorRegistry registry, Func<Task>? beforeScrape = null)
    {
        ArgumentNullException.ThrowIfNull(registry);
        return endpoints.MapGet(MetricsPath, async context =>
        {
            if (beforeScrape is not null)
                await beforeScrape().ConfigureAwait(false);
            context.Response.ContentType = PrometheusText;
            await registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        });
    }

    private static Task WriteText(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = TextPlain;
        return context.Response.WriteAsync(text + "\n", context.RequestAborted);
    }
}
