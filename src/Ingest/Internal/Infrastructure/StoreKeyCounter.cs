using System.Globalization;
using Presence.Hosting;
using StackExchange.Redis;

namespace Presence.Ingest.Internal.Infrastructure;

/// <summary>
/// Counts the keys with an expiry in the store's database, summed over its masters, for the
/// <c>presence_store_keys</c> gauge: every Presence key has one, so while the database holds only
/// Presence's keys this is the number of users online (Redis reclaims expired keys in the
/// background, so it may run a few percent high). <c>INFO keyspace</c> is O(1) per node and
/// allowed by the ingest's ACL (docs/SECURITY.md); it runs on scrape, never on the write path.
/// </summary>
internal sealed class StoreKeyCounter
{
    private readonly ConnectionMultiplexer _multiplexer;
    private readonly string _database;
    private readonly TimeSpan _timeout;

    public StoreKeyCounter(ConnectionMultiplexer multiplexer, TimeSpan timeout)
    {
        _multiplexer = multiplexer;
        _database = "db" + Math.Max(0, multiplexer.GetDatabase().Database).ToString(CultureInfo.InvariantCulture);
        _timeout = timeout;
    }

    /// <summary>The count, or null when a master did not answer in time (a partial sum would read as users gone offline).</summary>
    public async Task<long?> CountAsync()
    {
        var masters = _multiplexer.GetServers().Where(s => !s.IsReplica).ToArray();
        if (masters.Length == 0 || masters.Any(s => !s.IsConnected))
            return null;
        try
        {
            // As a raw command: the typed IServer.InfoAsync is refused unless the whole connection
            // allows admin commands, which the ingest has no business doing.
            var infos = masters.Select(s => s.ExecuteAsync("INFO", "keyspace")).ToArray();
            var all = Task.WhenAll(infos);
            if (await Task.WhenAny(all, Task.Delay(_timeout)).ConfigureAwait(false) != all)
            {
                _ = all.ContinueWith(static t => t.Exception, TaskScheduler.Default); // observed, not awaited
                return null;
            }
            long total = 0;
            foreach (var info in await all.ConfigureAwait(false))
                total += Expiring(info.ToString(), _database);
            return total;
        }
        catch (Exception e) when (StoreClientFailure.Is(e))
        {
            return null;
        }
    }

    /// <summary>
    /// The <c>expires=</c> of <paramref name="database"/> in an INFO keyspace answer, whose lines read
    /// <c>db0:keys=1000,expires=998,avg_ttl=21034</c> (a database with no keys has no line: 0).
    /// </summary>
    internal static long Expiring(string info, string database)
    {
        foreach (var raw in info.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (!line.StartsWith(database + ":", StringComparison.OrdinalIgnoreCase))
                continue;
            foreach (var part in line[(database.Length + 1)..].Split(','))
            {
                if (part.StartsWith("expires=", StringComparison.Ordinal)
                    && long.TryParse(part.AsSpan("expires=".Length), NumberStyles.None, CultureInfo.InvariantCulture, out long expiring))
                    return expiring;
            }
        }
        return 0;
    }
}
