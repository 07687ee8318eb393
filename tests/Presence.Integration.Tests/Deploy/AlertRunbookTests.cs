using System.Text;
using System.Text.RegularExpressions;

namespace Presence.Integration.Tests.Deploy;

/// <summary>
/// Every alert of deploy/prometheus/presence-rules.yml carries a <c>runbook_url</c>: a path in this
/// repository with an anchor (<c>docs/TROUBLESHOOTING.md#high-write-lag</c>), and the anchor is a
/// heading of that document as GitHub renders it. The alerts the troubleshooting page names exist.
/// </summary>
public sealed partial class AlertRunbookTests
{
    private static readonly string s_rules = Repository.PathOf("deploy", "prometheus", "presence-rules.yml");

    [Fact]
    public void EveryAlert_HasARunbookUrl_ThatLeadsToAHeadingOfARepositoryDoc()
    {
        var alerts = Alerts();
        Assert.True(alerts.Count >= 19, $"only {alerts.Count} alerts read from {s_rules}");

        foreach (var (alert, url) in alerts)
        {
            Assert.False(string.IsNullOrWhiteSpace(url), $"{alert}: no runbook_url annotation");
            var match = RunbookUrl().Match(url!);
            Assert.True(match.Success, $"{alert}: runbook_url '{url}' is not a repository path docs/<FILE>.md#<anchor>");
            var (path, anchor) = (match.Groups["path"].Value, match.Groups["anchor"].Value);
            var file = Repository.PathOf(path.Split('/'));
            Assert.True(File.Exists(file), $"{alert}: runbook_url '{url}': {path} does not exist");
            var anchors = HeadingAnchors(File.ReadAllText(file));
            Assert.True(anchors.Contains(anchor), $"{alert}: runbook_url '{url}': no heading of {path} has the anchor '{anchor}'; its anchors: {string.Join(", ", anchors)}");
        }
    }

    [Fact]
    public void Troubleshooting_NamesOnlyAlertsThatExist()
    {
        var alerts = Alerts().Select(a => a.Alert).ToHashSet(StringComparer.Ordinal);
        var named = AlertName().Matches(Repository.Read("docs", "TROUBLESHOOTING.md")).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);

        Assert.True(named.Count >= 10, $"only {named.Count} alerts named in TROUBLESHOOTING.md");
        foreach (var name in named)
            Assert.True(alerts.Contains(name), $"TROUBLESHOOTING.md names alert {name}, which presence-rules.yml does not have");
    }

    [Theory]
    [InlineData("TROUBLESHOOTING.md")]
    [InlineData("LOGS.md")]
    [InlineData("REDIS.md")]
    [InlineData("KEYS.md")]
    [InlineData("RUNBOOK.md")]
    public void OperatorDoc_EveryAnchorLink_LeadsToAHeading(string doc)
    {
        // [text](#anchor) or [text](OTHER.md#anchor), within docs/.
        foreach (Match link in AnchorLink().Matches(Repository.Read("docs", doc)))
        {
            var target = link.Groups["file"].Success ? link.Groups["file"].Value : doc;
            var path = Repository.PathOf("docs", target);
            Assert.True(File.Exists(path), $"docs/{doc} links to {link.Value}: docs/{target} does not exist");
            Assert.True(HeadingAnchors(File.ReadAllText(path)).Contains(link.Groups["anchor"].Value),
                $"docs/{doc} links to {link.Value}: no heading of docs/{target} has that anchor");
        }
    }

    [Theory]
    [InlineData("Users show offline although devices send", "users-show-offline-although-devices-send")]
    [InlineData("Query answers 503", "query-answers-503")]
    [InlineData("Moving to a Redis Cluster, step by step", "moving-to-a-redis-cluster-step-by-step")]
    [InlineData("presence-ingest (`Presence.Ingest`)", "presence-ingest-presenceingest")]
    [InlineData("`maxmemory` and eviction", "maxmemory-and-eviction")]
    [InlineData("Store — one node", "store--one-node")]
    [InlineData("Kept: snake_case and [a link](OPERATIONS.md)", "kept-snake_case-and-a-link")]
    public void Anchor_FollowsGitHubsRules(string heading, string anchor) => Assert.Equal(anchor, Anchor(heading));

    [Fact]
    public void HeadingAnchors_SkipCodeBlocks_AndNumberRepeats()
    {
        var anchors = HeadingAnchors("# Title\n\n```bash\n# a comment, not a heading\n```\n## Step\ntext\n## Step\n### Step\n");

        Assert.Equal(["step", "step-1", "step-2", "title"], anchors.Order(StringComparer.Ordinal));
    }

    private static List<(string Alert, string? RunbookUrl)> Alerts() =>
        Yaml.Load(s_rules).Seq("groups").Maps()
            .SelectMany(g => g.Seq("rules").Maps())
            .Where(r => r.Text("alert") is not null)
            .Select(r => (r.Text("alert")!, r.Get("annotations") is YamlDotNet.RepresentationModel.YamlMappingNode a ? a.Text("runbook_url") : null))
            .ToList();

    /// <summary>The anchors GitHub gives a Markdown document's headings (ATX headings outside fenced code).</summary>
    internal static HashSet<string> HeadingAnchors(string markdown)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        bool fenced = false;
        foreach (var raw in markdown.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal) || line.TrimStart().StartsWith("~~~", StringComparison.Ordinal))
            {
                fenced = !fenced;
                continue;
            }
            var heading = fenced ? null : Heading().Match(line);
            if (heading is not { Success: true })
                continue;
            var anchor = Anchor(heading.Groups[1].Value);
            // A repeated heading gets -1, -2, … in order of appearance.
            var unique = anchor;
            if (seen.TryGetValue(anchor, out int count))
                unique = $"{anchor}-{count}";
            seen[anchor] = count + 1;
            anchors.Add(unique);
        }
        return anchors;
    }

    /// <summary>
    /// GitHub's anchor for a heading: the text as rendered (code spans and links keep their text),
    /// lower case, every character that is not a letter, a digit, '-' or '_' dropped, each space a '-'.
    /// </summary>
    internal static string Anchor(string heading)
    {
        var text = LinkText().Replace(heading.Trim(), "$1").ToLowerInvariant();
        var anchor = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c) || c is '-' or '_')
                anchor.Append(c);
            else if (c == ' ')
                anchor.Append('-');
        }
        return anchor.ToString();
    }

    [GeneratedRegex(@"^(?<path>docs/[A-Za-z0-9_-]+\.md)#(?<anchor>[^#\s]+)$")]
    private static partial Regex RunbookUrl();

    [GeneratedRegex(@"^#{1,6}[ \t]+(.+?)[ \t]*#*[ \t]*$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"\[([^\]]*)\]\([^)]*\)")]
    private static partial Regex LinkText();

    [GeneratedRegex(@"\]\((?:(?<file>[A-Za-z0-9_-]+\.md))?#(?<anchor>[^)\s]+)\)")]
    private static partial Regex AnchorLink();

    [GeneratedRegex(@"`(Presence[A-Z][A-Za-z]+)`")]
    private static partial Regex AlertName();
}
