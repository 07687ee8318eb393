
namespace Presence.Query;

/// <summary>Every log line of presence-query, source-generated with fixed event ids. Nothing is logged per request.</summary>
internal static partial class QueryLog
{
    [LoggerMessage(1, LogLevel.Information, "presence-query on http://{Address}, store {Store}, prefix '{Prefix}', max batch {MaxBatch}, store timeout {TimeoutMs} ms")]
    public static partial void Started(ILogger logger, string address, string store, string prefix, int maxBatch, int timeoutMs);

    [LoggerMessage(2, LogLevel.Warning, "The store stopped answering ({Status}): {Reason}. Queries answer 503 until it is back.")]
    public static partial void StoreLost(ILogger logger, StoreStatus status, string? reason);

    [LoggerMessage(3, LogLevel.Information, "The store answers again.")]
    public static partial void StoreBack(ILogger logger);

    [LoggerMessage(4, LogLevel.Information, "API keys required on /v1/: {Count} key(s) from {Path}")]
    public static partial void ApiKeysLoaded(ILogger logger, int count, string path);

    [LoggerMessage(5, LogLevel.Information, "Rate limit: {Limit} requests/s per client address on /v1/")]
    public static partial void RateLimitOn(ILogger logger, int limit);

    [LoggerMessage(6, LogLevel.Error, "Unhandled error answering {Path}")]
    public static partial void Unhandled(ILogger logger, Exception exception, string path);

    [LoggerMessage(7, LogLevel.Information, "presence-query stopping")]
    public static partial void Stopping(ILogger logger);

    // Id 20: clear of the ids that other features add after 7.
    [LoggerMessage(20, LogLevel.Information, "Trusted proxies: X-Forwarded-For believed from {Proxies}; the rate limit counts the client address it gives")]
    public static partial void TrustedProxiesOn(ILogger logger, string proxies);
}
