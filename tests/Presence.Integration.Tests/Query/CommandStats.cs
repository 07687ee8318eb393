using System.Globalization;
using System.Text.RegularExpressions;
using Presence.Testing;

namespace Presence.Integration.Tests.Query;

/// <summary>
/// How many data reads a redis-server has served (<c>INFO commandstats</c>): a request that must not
/// reach the store leaves this count as it was. Background commands of the client (PING, INFO,
/// SUBSCRIBE, CLIENT …) are not reads and are not counted.
/// </summary>
internal static partial class CommandStats
{
    private static readonly string[] s_reads = ["get", "mget", "exists"];

    public static long Reads(RedisServer server)
    {
        var info = server.Command("INFO", "commandstats");
        long total = 0;
        foreach (Match match in CallsPattern().Matches(info))
        {
            if (s_reads.Contains(match.Groups[1].Value))
                total += long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        }
        return total;
    }

    /// <summary>Calls of one command, e.g. "mget".</summary>
    public static long Calls(RedisServer server, string command)
    {
        var info = server.Command("INFO", "commandstats");
        foreach (Match match in CallsPattern().Matches(info))
        {
            if (match.Groups[1].Value == command)
                return long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture);
        }
        return 0;
    }

    [GeneratedRegex(@"cmdstat_([a-z|]+):calls=(\d+)")]
    private static partial Regex CallsPattern();
}
