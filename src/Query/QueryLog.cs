using Presence.Query.Internal.Store;


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

    [LoggerMessage(8, LogLevel.Warning, "Events log unreadable: {Reason}. Event streams stay open (keepalives) and continue when it is back.")]
    public static partial void EventFeedFailing(ILogger logger, string reason);

    [LoggerMessage(9, LogLevel.Information, "Events log readable again at line {Position}")]
    public static partial void EventFeedBack(ILogger logger, long position);

    [LoggerMessage(10, LogLevel.Warning, "Events log replaced or out of reach (epoch {OldEpoch} → {NewEpoch}, at {Position}, store holds {First}..{Last}): {Subscribers} streams take a new snapshot")]
    public static partial void EventLogReplaced(ILogger logger, string oldEpoch, string newEpoch, long position, long first, long last, int subscribers);

    [LoggerMessage(11, LogLevel.Warning, "Events log lines up to {Position}: {Count} not readable by this node since its last such warning, skipped (no stream gets them); a newer ingester's line form? Upgrade query nodes first (DEPLOY.md, \"Upgrades\")")]
    public static partial void EventLogLinesUnreadable(ILogger logger, long position, long count);

    // Id 20: clear of the ids that other features add after 7.
    [LoggerMessage(20, LogLevel.Information, "Trusted proxies: X-Forwarded-For believed from {Proxies}; the rate limit counts the client address it gives")]
    public static partial void TrustedProxiesOn(ILogger logger, string proxies);

    [LoggerMessage(21, LogLevel.Information, "Presence reads go {Path}")]
    public static partial void StoreReads(ILogger logger, string path);

    [LoggerMessage(22, LogLevel.Information, "Admin keys: {Count} loaded from {Path}; the admin routes take only these")]
    public static partial void AdminKeysLoaded(ILogger logger, int count, string path);

    [LoggerMessage(23, LogLevel.Warning, "Group streams' membership watch failed a read ({Reason}); it reads again in a second")]
    public static partial void GroupWatchFailed(ILogger logger, string reason);
}
