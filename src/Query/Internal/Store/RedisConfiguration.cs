using Presence.Hosting;
using StackExchange.Redis;

namespace Presence.Query.Internal.Store;

/// <summary>
/// The store connection settings: the operator's <c>--redis</c> string, with the settings the
/// query service relies on laid over it.
/// </summary>
internal static class RedisConfiguration
{
    public static bool TryParse(string text, out ConfigurationOptions options, out string? error)
    {
        try
        {
            options = ConfigurationOptions.Parse(text);
        }
        catch (ArgumentException e)
        {
            options = null!;
            error = e.Message;
            return false;
        }
        if (options.EndPoints.Count == 0)
        {
            error = "no endpoint (expected e.g. 127.0.0.1:6379)";
            return false;
        }
        error = null;
        return true;
    }

    /// <summary>
    /// The settings from <paramref name="text"/>, with <paramref name="password"/> (from
    /// --redis-password-file) laid over it when given.
    /// </summary>
    public static ConfigurationOptions Create(string text, TimeSpan storeTimeout, string? password = null)
    {
        if (!TryParse(text, out var options, out var error))
            throw new ArgumentException($"--redis {RedisSecrets.Redact(text)}: {error}", nameof(text));
        if (password is not null)
            options.Password = password;
        // The service starts, and reports not ready, while the store is away; it connects when the store comes.
        options.AbortOnConnectFail = false;
        // While no connection is up, a query fails at once (503) instead of queueing behind the reconnect:
        // clients retry, and a down store does not pile up waiting requests.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        // The request path enforces the timeout itself (WaitAsync); the client's own is a backstop that
        // frees abandoned commands. Its check runs once a heartbeat, so it alone could not keep the limit.
        int ms = (int)Math.Min(int.MaxValue, storeTimeout.TotalMilliseconds);
        options.AsyncTimeout = ms;
        options.SyncTimeout = ms;
        options.ClientName ??= "presence-query";
        // The client's own dedicated I/O threads cost a thread hop each way per command: the writer
        // is woken to send, the reader wakes a pool thread to complete. On the thread pool the hops
        // mostly stay on the thread that is already running (bench/query/run.sh: about half the
        // service CPU per single-id request at a fixed rate, a third fewer context switches).
        options.SocketManager ??= SocketManager.ThreadPool;
        return options;
    }
}
