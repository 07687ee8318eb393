using System.Text.RegularExpressions;
using Presence.Integration.Tests.Ingest;
using Presence.Integration.Tests.Query;
using Presence.Testing;

namespace Presence.Integration.Tests.Deploy;

/// <summary>
/// The metric names presence-ingest and presence-query export, read from their real /metrics
/// (in-process, on a real redis-server, after some heartbeats and queries so that labelled
/// families have samples); and the metric names a PromQL expression selects.
/// </summary>
internal static partial class ExportedMetrics
{
    // ==== EXPECTED FROM EVENTS: the one place where a name may be used without being exported ====
    // Empty: presence-query exports the events metrics (docs/EVENTS.md), so every name the alerts
    // and the dashboard use is checked against what the services export.
    public static readonly string[] ExpectedFromEvents = [];

    /// <summary>Prometheus's own series, present for every scraped target.</summary>
    public static readonly string[] FromPrometheus = ["up"];

    private static readonly SemaphoreSlim s_once = new(1, 1);
    private static (HashSet<string> Names, string Ingest, string Query)? s_scraped;

    /// <summary>Every name exported by either service, and the two expositions.</summary>
    public static async Task<(HashSet<string> Names, string Ingest, string Query)> ScrapeAsync(RedisFixture redis)
    {
        await s_once.WaitAsync();
        try
        {
            return s_scraped ??= await ScrapeCoreAsync(redis);
        }
        finally
        {
            s_once.Release();
        }
    }

    private static async Task<(HashSet<string>, string, string)> ScrapeCoreAsync(RedisFixture redis)
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.Tcp = "127.0.0.1:0");
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix);
        var users = IngestTestHost.Users(1, 10);
        ingest.Heartbeat(users);
        await Eventually.Until(() => ingest.Metrics.WritesOk.Value >= users.Length, "the heartbeats written and counted");
        using (var answer = await query.Client.GetAsync("/v1/presence?ids=1,2,3"))
            Assert.True(answer.IsSuccessStatusCode, $"query: {(int)answer.StatusCode}");
        using (await query.Client.GetAsync("/v1/presence/not-a-number"))
        {
        }
        using var http = new HttpClient { BaseAddress = ingest.Host.HttpAddress };
        var ingestText = await http.GetStringAsync("/metrics");
        var queryText = await query.Client.GetStringAsync("/metrics");
        var names = Names(ingestText);
        names.UnionWith(Names(queryText));
        return (names, ingestText, queryText);
    }

    /// <summary>The series names of an exposition: every sample's, and each family's (with a histogram's _bucket, _sum, _count).</summary>
    public static HashSet<string> Names(string exposition)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in exposition.Split('\n'))
        {
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                names.Add(parts[2]);
                if (parts[3] is "histogram" or "summary")
                {
                    names.Add(parts[2] + "_sum");
                    names.Add(parts[2] + "_count");
                    if (parts[3] == "histogram")
                        names.Add(parts[2] + "_bucket");
                }
            }
            else if (line.Length > 0 && line[0] != '#')
            {
                names.Add(SampleName().Match(line).Value);
            }
        }
        return names;
    }

    /// <summary>Whether <paramref name="name"/> is exported, Prometheus's own, or one of <see cref="ExpectedFromEvents"/>.</summary>
    public static bool IsKnown(string name, HashSet<string> exported) =>
        exported.Contains(name) || FromPrometheus.Contains(name) || ExpectedFromEvents.Contains(name);

    /// <summary>
    /// The metric names a (valid) PromQL expression selects: identifiers left once strings,
    /// label matchers, grouping clauses and ranges are taken out, that are not functions,
    /// keywords or numbers. promtool checks the syntax; this only has to read valid PromQL.
    /// </summary>
    public static HashSet<string> SelectedBy(string promql)
    {
        var text = Strings().Replace(promql, " ");
        text = Matchers().Replace(text, " ");
        text = Grouping().Replace(text, " ");
        text = Ranges().Replace(text, " ");
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Identifier().Matches(text))
        {
            var word = m.Groups[1].Value;
            bool call = m.Groups[2].Success;
            if (!call && !s_keywords.Contains(word))
                names.Add(word);
        }
        return names;
    }

    private static readonly HashSet<string> s_keywords = new(StringComparer.OrdinalIgnoreCase)
    {
        "and", "or", "unless", "bool", "offset", "inf", "nan", "by", "without", "on", "ignoring", "group_left", "group_right",
    };

    [GeneratedRegex(@"^[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex SampleName();

    [GeneratedRegex("\"(?:[^\"\\\\]|\\\\.)*\"|'(?:[^'\\\\]|\\\\.)*'")]
    private static partial Regex Strings();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", RegexOptions.IgnoreCase)]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\[[^\]]*\]")]
    private static partial Regex Ranges();

    // An identifier not inside a number (1e9, 0.99), and whether a call's '(' follows it.
    [GeneratedRegex(@"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?")]
    private static partial Regex Identifier();
}
