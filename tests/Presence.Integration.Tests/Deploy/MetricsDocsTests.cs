using System.Text.RegularExpressions;
using Presence.Testing;

namespace Presence.Integration.Tests.Deploy;

/// <summary>
/// docs/OPERATIONS.md's metrics tables against the families presence-ingest and presence-query
/// export (their real /metrics): every exported <c>presence_…</c> family listed with the labels
/// its samples carry, and no doc naming a <c>presence_…</c> metric that neither service exports.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed partial class MetricsDocsTests(RedisFixture redis)
{
    [Fact]
    public async Task Operations_ListsEveryExportedFamily_WithItsLabels()
    {
        var (_, ingest, query) = await ExportedMetrics.ScrapeAsync(redis);
        var exported = Families(ingest + "\n" + query);
        var documented = DocumentedRows(Repository.Read("docs", "OPERATIONS.md"));
        Assert.True(exported.Count >= 30, $"only {exported.Count} presence_ families exported");

        foreach (var (family, labels) in exported)
        {
            Assert.True(documented.TryGetValue(family, out var written), $"docs/OPERATIONS.md, \"Metrics\": {family} is exported and not listed");
            // Only families with a sample show their labels.
            if (labels.Count > 0)
                Assert.True(labels.SetEquals(written!), $"docs/OPERATIONS.md lists {family}{{{string.Join(',', written!)}}}; its samples carry {{{string.Join(',', labels)}}}");
        }
        foreach (var family in documented.Keys)
            Assert.True(exported.ContainsKey(family), $"docs/OPERATIONS.md lists {family}, which neither service exports");
    }

    [Fact]
    public async Task Docs_NameOnlyMetricsTheServicesExport()
    {
        var (names, ingest, query) = await ExportedMetrics.ScrapeAsync(redis);
        var files = Directory.GetFiles(Repository.PathOf("docs"), "*.md")
            .Where(f => Path.GetFileName(f) != "CLIENTS.md") // the C and Python clients' functions and modules: presence_client_send, presence_client
            .Append(Repository.PathOf("README.md"));
        int mentions = 0;

        foreach (var file in files)
        {
            // A contract written before its code (docs/HTTP-API.md, "not served yet") names metrics to come.
            string text = NotServedYet().Replace(File.ReadAllText(file), "");
            foreach (Match name in MetricName().Matches(text))
            {
                mentions++;
                Assert.True(names.Contains(name.Value), $"{Path.GetFileName(file)} names {name.Value}, which neither service exports");
            }
        }
        Assert.True(mentions >= 50, $"only {mentions} metric names found in the docs");
        Assert.NotEmpty(Families(ingest));
        Assert.NotEmpty(Families(query));
    }

    /// <summary>presence_ families of an exposition, each with the label names its samples carry (le left out).</summary>
    private static Dictionary<string, HashSet<string>> Families(string exposition)
    {
        var families = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (Match type in TypeLine().Matches(exposition))
            families.TryAdd(type.Groups[1].Value, []);
        foreach (Match sample in Sample().Matches(exposition))
        {
            var name = sample.Groups[1].Value;
            var family = families.ContainsKey(name) ? name : Regex.Replace(name, "_(bucket|sum|count)$", "");
            if (!families.TryGetValue(family, out var labels))
                continue;
            foreach (Match label in LabelName().Matches(sample.Groups[2].Value))
            {
                if (label.Groups[1].Value != "le")
                    labels.Add(label.Groups[1].Value);
            }
        }
        return families;
    }

    /// <summary>Rows "| `presence_x{a,b}` | … |": the family and the labels written.</summary>
    private static Dictionary<string, HashSet<string>> DocumentedRows(string text)
    {
        var rows = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (Match row in Row().Matches(text))
        {
            var labels = row.Groups[2].Success ? row.Groups[2].Value.Split(',').Select(l => l.Trim()).ToHashSet() : [];
            Assert.True(rows.TryAdd(row.Groups[1].Value, labels), $"docs/OPERATIONS.md lists {row.Groups[1].Value} twice");
        }
        return rows;
    }

    [GeneratedRegex(@"^# TYPE (presence_[a-z0-9_]+) ", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    [GeneratedRegex(@"^(presence_[a-z0-9_]+)\{([^}]*)\}", RegexOptions.Multiline)]
    private static partial Regex Sample();

    [GeneratedRegex(@"([a-zA-Z_][a-zA-Z0-9_]*)=""")]
    private static partial Regex LabelName();

    [GeneratedRegex(@"^\| `(presence_[a-z0-9_]+)(?:\{([a-z_, ]+)\})?` \|", RegexOptions.Multiline)]
    private static partial Regex Row();

    // A metric name: not part of a path or a longer word (clients/python/presence_client/…).
    [GeneratedRegex(@"(?<![\w/.])presence_[a-z0-9_]+(?![\w/(])")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"<!-- not served yet -->.*?<!-- end not served yet -->", RegexOptions.Singleline)]
    private static partial Regex NotServedYet();
}
