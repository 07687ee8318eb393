
namespace Presence.Ingest;

/// <summary>Every log line of the ingester, source-generated with fixed event ids. Nothing is logged per packet.</summary>
internal static partial class IngestLog
{
    [LoggerMessage(1, LogLevel.Information, "UDP listening on {EndPoint} with {Loops} {Method} loop(s); receive buffer asked {Asked} bytes, kernel granted {Granted}")]
    public static partial void UdpListening(ILogger logger, string endPoint, int loops, string method, int asked, int granted);

    [LoggerMessage(2, LogLevel.Information, "Store: {Store}")]
    public static partial void StoreConfigured(ILogger logger, string store);

    [LoggerMessage(3, LogLevel.Information, "Embedded Garnet {Version} store listening on 127.0.0.1:{Port}")]
    public static partial void EmbeddedStarted(ILogger logger, string version, int port);

    [LoggerMessage(4, LogLevel.Information, "HTTP (/metrics, /healthz, /readyz) on {Urls}")]
    public static partial void HttpListening(ILogger logger, string urls);

    [LoggerMessage(5, LogLevel.Warning, "Store writes failed: {Failed} of {Total}; holding {Pending} users; next attempt in {DelayMs} ms: {Reason}")]
    public static partial void StoreWriteFailed(ILogger logger, long failed, int total, int pending, double delayMs, string reason);

    [LoggerMessage(6, LogLevel.Information, "Store reachable again after {Failures} failed attempts; {Pending} users still pending")]
    public static partial void StoreRecovered(ILogger logger, int failures, int pending);

    [LoggerMessage(7, LogLevel.Warning, "UDP receive failed with errno {Errno} ({Count} in a row); retrying in {DelayMs} ms")]
    public static partial void ReceiveError(ILogger logger, int errno, int count, double delayMs);

    [LoggerMessage(8, LogLevel.Information, "Stopping: receiving stopped; writing {Pending} pending users (at most {TimeoutMs} ms)")]
    public static partial void Stopping(ILogger logger, long pending, int timeoutMs);

    [LoggerMessage(9, LogLevel.Information, "Stopped; {Unwritten} users left unwritten")]
    public static partial void Stopped(ILogger logger, long unwritten);

    [LoggerMessage(10, LogLevel.Warning, "Receive buffer: asked {Asked} bytes, kernel granted only {Granted}; raise net.core.rmem_max or run with CAP_NET_ADMIN to avoid drops in bursts")]
    public static partial void SmallReceiveBuffer(ILogger logger, int asked, int granted);

    [LoggerMessage(11, LogLevel.Information, "Master keys loaded: {Count} (key ids {KeyIds}); record tags checked with {HmacPath}")]
    public static partial void KeysLoaded(ILogger logger, int count, string keyIds, string hmacPath);

    /// <summary>How record tags are computed here, for <see cref="KeysLoaded"/>.</summary>
    public static string HmacPath => Presence.Core.HmacSha256Key.IsNative
        ? "libcrypto SHA-256 from precomputed key pads"
        : "the BCL's HMACSHA256 (libcrypto not usable here: about 10x slower per record)";

    [LoggerMessage(12, LogLevel.Error, "Key reload refused, previous keys stay in force: {Reason}")]
    public static partial void KeysRefused(ILogger logger, string reason);

    [LoggerMessage(13, LogLevel.Information, "TCP gateway listening on {EndPoint}; at most {MaxConnections} connections, idle ones closed after {IdleSeconds} s")]
    public static partial void TcpListening(ILogger logger, string endPoint, int maxConnections, int idleSeconds);

    [LoggerMessage(14, LogLevel.Warning, "TCP accept failed with {Error} ({Count} in a row); retrying in {DelayMs} ms")]
    public static partial void TcpAcceptError(ILogger logger, string error, int count, double delayMs);

    [LoggerMessage(15, LogLevel.Error, "A TCP connection failed unexpectedly and was closed")]
    public static partial void TcpConnectionFailed(ILogger logger, Exception exception);

    [LoggerMessage(16, LogLevel.Information, "Events log: transitions appended to the store (kept {RetentionSeconds} s); expiry of the users written here is watched")]
    public static partial void EventsOn(ILogger logger, int retentionSeconds);

    [LoggerMessage(17, LogLevel.Warning, "Events log append failed ({Count} transitions, {Queued} more queued); retrying in {DelayMs} ms: {Reason}")]
    public static partial void EventLogAppendFailed(ILogger logger, int count, int queued, double delayMs, string reason);

    [LoggerMessage(18, LogLevel.Information, "Events log reachable again after {Failures} failed appends")]
    public static partial void EventLogRecovered(ILogger logger, int failures);

    [LoggerMessage(19, LogLevel.Warning, "Stopped with {Count} transitions not appended to the events log (the store did not answer); the next ingester to start sweeps the log's online set")]
    public static partial void TransitionsUnwritten(ILogger logger, long count);

    [LoggerMessage(20, LogLevel.Information, "Adopted {Count} users from a stopped ingester; their expiry is watched here")]
    public static partial void OrphansAdopted(ILogger logger, int count);

    [LoggerMessage(21, LogLevel.Information, "Handed {Count} watched users over to the ingesters still running ({Tracked} were watched)")]
    public static partial void HandedOver(ILogger logger, int count, int tracked);

    [LoggerMessage(22, LogLevel.Warning, "Stopping: the UDP socket could not be taken out of delivery; datagrams that arrive between the last read and its close are lost")]
    public static partial void StopDeliveryFailed(ILogger logger);

    [LoggerMessage(23, LogLevel.Information, "Last seen: kept {Days} days for users going offline (one write per offline transition); older entries are trimmed within the hour")]
    public static partial void LastSeenOn(ILogger logger, int days);

    [LoggerMessage(24, LogLevel.Warning, "Last seen writes failed ({Count} users, {Queued} more queued); retrying in {DelayMs} ms: {Reason}")]
    public static partial void LastSeenWriteFailed(ILogger logger, int count, int queued, double delayMs, string reason);

    [LoggerMessage(25, LogLevel.Information, "Last seen writes work again after {Failures} failed tries")]
    public static partial void LastSeenRecovered(ILogger logger, int failures);

    [LoggerMessage(26, LogLevel.Warning, "Stopped with {Count} last seen times not written (the store did not answer); those users answer their previous last seen, or null")]
    public static partial void LastSeenUnwritten(ILogger logger, long count);

    [LoggerMessage(27, LogLevel.Information, "Store writes go {Path}")]
    public static partial void StoreWritesPath(ILogger logger, string path);

    [LoggerMessage(28, LogLevel.Information, "Compacted the GC heap after a burst: {BeforeMb} MB committed before, {AfterMb} MB after, every thread paused {PauseMs:0.0} ms")]
    public static partial void HeapCompacted(ILogger logger, long beforeMb, long afterMb, double pauseMs);

    [LoggerMessage(29, LogLevel.Information, "Did not compact the GC heap after a burst: {LiveMb} MB live is above {MaxMb} MB, whose compaction would pause the receiver too long")]
    public static partial void HeapCompactionSkipped(ILogger logger, long liveMb, long maxMb);
}
