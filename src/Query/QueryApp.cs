using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.RateLimiting;
using Presence.Hosting;
using Presence.Query.Internal.Events;
using Presence.Query.Internal.Http;
using Presence.Query.Internal.OpenApi;
using Presence.Query.Internal.Security;
using Presence.Query.Internal.Store;
using StackExchange.Redis;

namespace Presence.Query;

/// <summary>
/// Builds the query service: Kestrel on <c>--http</c>, the store connection, the endpoints of
/// HTTP-API.md, and the middleware for metrics, API keys and rate limits. Tests build it in-process
/// on port 0 and read the bound address with <see cref="BoundAddress"/>.
/// </summary>
public static class QueryApp
{
    public const string OneRoute = "/v1/presence/{id}";
    public const string ListRoute = "/v1/presence";
    public const string QueryRoute = "/v1/presence/query";
    public const string EventsRoute = "/v1/presence/events";
    public const string CountRoute = "/v1/presence/count";
    public const string LastSeenRoute = "/v1/presence/{id}/last-seen";
    public const string ConsoleRoute = "/ui";
    public const string GroupRoute = "/v1/groups/{name}";
    public const string GroupMembersRoute = "/v1/groups/{name}/members";
    public const string GroupPresenceRoute = "/v1/groups/{name}/presence";
    public const string GroupsPresenceRoute = "/v1/groups/presence";
    public const string GroupEventsRoute = "/v1/groups/{name}/events";
    public const string GroupsEventsRoute = "/v1/groups/events";

    /// <summary>The published name; its log lines are under <c>Presence.Query</c>.</summary>
    public const string ProgramName = "presence-query";

    public static WebApplication Build(QueryOptions options)
    {
        var problem = options.Validate();
        if (problem is not null)
            throw new ArgumentException(problem, nameof(options));
        ListenAddress.TryParse(options.Http, out var listen);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            Args = [], // the command line is ours (QueryCommandLine), not the host's configuration
            ApplicationName = ProgramName,
        });
        // One line an entry, UTC ISO time; ASP.NET Core's per-request lines (Information) left out.
        builder.Logging.AddServiceConsole();
        // While the hosting layer's logger is on at any level, every request gets an Activity and a
        // log scope (with their ExecutionContext copies): ~0.8 KB and a few µs a request for lines
        // that are never written. Unhandled errors are logged by Outermost, not by the host.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // A failed start (e.g. the port is taken) is said in one line by Program; the host's own report is a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = options.MaxBody;
            // A full batch on the query string: max-batch ids of 20 digits, each with an encoded comma ("%2C").
            kestrel.Limits.MaxRequestLineSize = Math.Max(kestrel.Limits.MaxRequestLineSize, 256 + options.MaxBatch * 23);
            kestrel.Limits.MaxRequestBufferSize = Math.Max(kestrel.Limits.MaxRequestBufferSize ?? 0, 2L * kestrel.Limits.MaxRequestLineSize);
            kestrel.Listen(listen);
        });
        builder.Services.AddRoutingCore();
        builder.Services.AddPresenceOpenApi(options);
        if (options.RateLimit is int limit)
            builder.Services.AddRateLimiter(rates => ConfigureRateLimit(rates, limit));

        var metrics = new QueryMetrics();
        var redis = RedisConfiguration.Create(options.Redis, options.StoreTimeout, options.RedisPassword);
        var pipeline = options.StoreReads == QueryOptions.DirectReads && ReadPipeline.CanServe(redis)
            ? new ReadPipeline(redis, options.StoreTimeout, lastSeen: options.LastSeenDays > 0)
            : null;
        var connection = ConnectionMultiplexer.Connect(redis);
        var store = new PresenceStore(connection, options.Prefix, options.StoreTimeout, ownsConnection: true, pipeline, options.LastSeenDays);
        var eventLog = new EventLogStore(connection, options.Prefix, options.StoreTimeout);
        var keys = options.ApiKeys is null ? null : ApiKeyRing.Load(options.ApiKeys);
        var adminKeys = options.AdminKeys is null ? null : ApiKeyRing.Load(options.AdminKeys);
        var gate = new AdminGate(adminKeys, keys);

        var app = builder.Build();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateServiceLogger(ProgramName);
        var endpoints = new PresenceEndpoints(store, metrics, options, logger);
        var feed = new EventFeed(eventLog, options.EventsBuffer, TimeSpan.FromMilliseconds(options.EventsPollMs), metrics, logger);
        var start = new StreamStart(feed, eventLog, store);
        var loop = new StreamLoop(feed, metrics, options);
        var sse = new SseWriter(metrics);
        var events = new EventStreamEndpoint(feed, start, loop, store, sse, options);
        var groupStore = new GroupStore(connection, options.Prefix, options.StoreTimeout);
        var watch = new GroupWatch(groupStore, metrics, logger);
        var groupStreams = new GroupStreamEndpoint(new GroupStreamServices(feed, sse, start, loop, groupStore, store, options), watch);
        var count = new CountEndpoint(new OnlineCountReader(connection, options.Prefix, options.StoreTimeout), metrics);
        var admin = new AdminEndpoints(gate, connection, options.Prefix, options.StoreTimeout);
        var groups = new GroupEndpoints(gate, groupStore, store, endpoints, metrics, options, watch);
        app.Lifetime.ApplicationStarted.Register(() => QueryLog.Started(logger, BoundAddress(app), RedisSecrets.Redact(options.Redis), options.Prefix, options.MaxBatch, options.StoreTimeoutMs));
        app.Lifetime.ApplicationStopping.Register(() => QueryLog.Stopping(logger));
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            watch.DisposeAsync().AsTask().GetAwaiter().GetResult();
            feed.DisposeAsync().AsTask().GetAwaiter().GetResult();
            store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        });
        if (keys is not null)
            QueryLog.ApiKeysLoaded(logger, keys.Count, options.ApiKeys!);
        if (adminKeys is not null)
            QueryLog.AdminKeysLoaded(logger, adminKeys.Count, options.AdminKeys!);
        if (options.RateLimit is int perSecond)
            QueryLog.RateLimitOn(logger, perSecond);
        if (options.Proxies is { } proxies)
            QueryLog.TrustedProxiesOn(logger, proxies.ToString());
        QueryLog.StoreReads(logger, pipeline is null ? "through StackExchange.Redis" : "over the service's own pipelined connection (while the store is not a cluster)");

        // Outermost: every answer is counted and every error is a problem document (one layer for both).
        app.Use((context, next) => Outermost(context, next, metrics, logger));
        // Before the rate limiter, which partitions by the (then forwarded) client address.
        if (options.Proxies is { } trusted)
            app.UseForwardedHeaders(trusted.ToOptions());
        app.UseRouting();
        if (options.RateLimit is not null)
            app.UseRateLimiter();
        if (keys is not null)
            app.Use((context, next) => RequireKey(context, next, keys, gate));

        app.MapGet(OneRoute, endpoints.GetOne).WithMetadata(metrics.Route(OneRoute));
        app.MapGet(ListRoute, endpoints.GetMany).WithMetadata(metrics.Route(ListRoute));
        app.MapPost(QueryRoute, endpoints.Query).WithMetadata(metrics.Route(QueryRoute));
        app.MapGet(CountRoute, count.Get).WithMetadata(metrics.Route(CountRoute));
        app.MapDelete(LastSeenRoute, admin.DeleteLastSeen).WithMetadata(metrics.Route(LastSeenRoute));
        app.MapGet(EventsRoute, events.Get).WithMetadata(metrics.Route(EventsRoute));
        app.MapPost(EventsRoute, events.Post).WithMetadata(metrics.Route(EventsRoute));
        app.MapPut(GroupRoute, groups.Replace).WithMetadata(metrics.Route(GroupRoute));
        app.MapDelete(GroupRoute, groups.Delete).WithMetadata(metrics.Route(GroupRoute));
        app.MapGet(GroupRoute, groups.Get).WithMetadata(metrics.Route(GroupRoute));
        app.MapPost(GroupMembersRoute, groups.Change).WithMetadata(metrics.Route(GroupMembersRoute));
        app.MapGet(GroupPresenceRoute, groups.GetPresence).WithMetadata(metrics.Route(GroupPresenceRoute));
        app.MapPost(GroupsPresenceRoute, groups.GetManyPresence).WithMetadata(metrics.Route(GroupsPresenceRoute));
        app.MapGet(GroupEventsRoute, groupStreams.Get).WithMetadata(metrics.Route(GroupEventsRoute));
        app.MapPost(GroupsEventsRoute, groupStreams.Post).WithMetadata(metrics.Route(GroupsEventsRoute));
        app.MapGet(ConsoleRoute, ConsolePage.Serve).WithMetadata(metrics.Route(ConsoleRoute));
        app.MapHealth().WithMetadata(metrics.Route(OperationsEndpoints.HealthPath));
        app.MapReady(endpoints.NotReadyBecause, PresenceEndpoints.WriteNotReady).WithMetadata(metrics.Route(OperationsEndpoints.ReadyPath));
        app.MapMetrics(metrics.Registry, count.RefreshAsync).WithMetadata(metrics.Route(OperationsEndpoints.MetricsPath));
        app.MapPresenceOpenApi(metrics);
        return app;
    }

    /// <summary>The address Kestrel listens on, e.g. <c>127.0.0.1:41234</c> (the real port when port 0 was asked).</summary>
    public static string BoundAddress(WebApplication app)
    {
        var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()?.Addresses;
        var first = addresses?.FirstOrDefault() ?? throw new InvalidOperationException("The app is not listening yet.");
        return new Uri(first).Authority;
    }

    /// <summary>
    /// Times and counts every request by route and status; turns an unhandled exception into a 500
    /// problem, and an error status the framework set without a body (no route: 404, wrong method:
    /// 405) into a problem document.
    /// </summary>
    private static async Task Outermost(HttpContext context, RequestDelegate next, QueryMetrics metrics, ILogger logger)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await next(context);
            var response = context.Response;
            if (response.StatusCode >= 400 && !response.HasStarted && response.ContentType is null && response.ContentLength is null)
            {
                await ProblemWriter.WriteAsync(context, Problem.ForStatus(response.StatusCode),
                    $"{context.Request.Method} {context.Request.Path} has no answer here");
            }
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to answer.
        }
        catch (Exception e)
        {
            QueryLog.Unhandled(logger, e, context.Request.Path);
            if (context.Response.HasStarted)
                throw;
            context.Response.Clear();
            await ProblemWriter.WriteAsync(context, Problem.Internal, "the service failed to answer; the log has the cause");
        }
        finally
        {
            var route = context.GetEndpoint()?.Metadata.GetMetadata<QueryMetrics.RouteMetrics>() ?? metrics.Unmatched;
            route.Observe(context.Response.StatusCode, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }
    }

    private static Task RequireKey(HttpContext context, RequestDelegate next, ApiKeyRing keys, AdminGate admin)
    {
        var request = context.Request;
        var authorization = request.Headers.Authorization.ToString();
        if (!request.Path.StartsWithSegments("/v1") || keys.IsAuthorized(authorization) || admin.IsAdmin(authorization))
            return next(context);
        // EventSource cannot send headers: on the event stream routes only, the key may come as ?access_token=KEY.
        // (No log line or metric label carries a URL's query: requests are logged at Warning only, metrics by route pattern.)
        if (context.GetEndpoint() is RouteEndpoint { RoutePattern.RawText: EventsRoute or GroupEventsRoute or GroupsEventsRoute }
            && request.Query["access_token"] is { Count: 1 } token
            && keys.IsAuthorized("Bearer " + token[0]))
            return next(context);
        context.Response.Headers.WWWAuthenticate = "Bearer";
        return ProblemWriter.WriteAsync(context, Problem.Unauthorized, "send 'Authorization: Bearer <key>' with a key from the service's --api-keys file");
    }

    private static void ConfigureRateLimit(RateLimiterOptions rates, int perSecond)
    {
        // A token bucket per client address on /v1/ only: probes and scrapes are never limited.
        rates.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, IPAddress>(context =>
            context.Request.Path.StartsWithSegments("/v1")
                ? RateLimitPartition.GetTokenBucketLimiter(context.Connection.RemoteIpAddress ?? IPAddress.None, _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = perSecond,
                    TokensPerPeriod = perSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                    AutoReplenishment = true,
                })
                : RateLimitPartition.GetNoLimiter(IPAddress.None));
        rates.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        rates.OnRejected = (rejected, _) =>
        {
            var seconds = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
                ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
                : 1;
            rejected.HttpContext.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            return new ValueTask(ProblemWriter.WriteAsync(rejected.HttpContext, Problem.RateLimited,
                $"over {perSecond} requests per second from this address; retry after {seconds} s"));
        };
    }
}
