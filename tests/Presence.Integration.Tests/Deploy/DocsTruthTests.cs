using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using CommandLine;
using Presence.Ingest;
using Presence.LoadGen;
using Presence.Query;

namespace Presence.Integration.Tests.Deploy;

/// <summary>
/// What an operator reads in docs/ against what the programs do: every option documented, the
/// contract table's defaults equal to the code's, every link leading to a file that exists.
/// </summary>
public sealed partial class DocsTruthTests
{
    [Theory]
    [InlineData(typeof(IngestOptions), "INGEST.md")]
    [InlineData(typeof(QueryOptions), "QUERY.md")]
    [InlineData(typeof(LoadGenOptions), "LOADGEN.md")]
    [InlineData(typeof(KeysOptions), "LOADGEN.md")]
    public void EveryOption_IsDocumented(Type options, string doc)
    {
        var text = Repository.Read("docs", doc);

        foreach (var option in Options(options))
            Assert.True(Regex.IsMatch(text, $@"--{Regex.Escape(option.LongName)}\b"), $"docs/{doc} does not document --{option.LongName}");
    }

    [Fact]
    public void OperationsIngestTable_DefaultsAreTheCodes()
    {
        // | `--flush-ms MS` | meaning | 100 |
        var text = Repository.Read("docs", "OPERATIONS.md");
        var section = text[text.IndexOf("## presence-ingest", StringComparison.Ordinal)..text.IndexOf("## presence-query", StringComparison.Ordinal)];
        var defaults = Options(typeof(IngestOptions)).ToDictionary(o => o.LongName, o => o.Default);
        int rows = 0;
        foreach (Match row in TableRow().Matches(section))
        {
            var (option, written) = (row.Groups[1].Value, row.Groups[2].Value.Trim());
            Assert.True(defaults.TryGetValue(option, out var actual), $"OPERATIONS.md documents --{option}, which presence-ingest does not have");
            rows++;
            switch (actual)
            {
                case null or false:
                    Assert.Matches("^(off|none|the embedded store)", written);
                    break;
                case int number:
                    Assert.Equal(number.ToString("N0", CultureInfo.InvariantCulture), written);
                    break;
                default:
                    Assert.Equal($"`{actual}`", written);
                    break;
            }
        }
        Assert.True(rows >= 10, $"only {rows} rows read from OPERATIONS.md");
    }

    [Fact]
    public void Links_InDocsAndReadme_LeadToFilesThatExist()
    {
        var files = Directory.GetFiles(Repository.PathOf("docs"), "*.md").Append(Repository.PathOf("README.md"));

        foreach (var file in files)
        {
            foreach (Match link in MarkdownLink().Matches(File.ReadAllText(file)))
            {
                var target = link.Groups[1].Value.Split('#')[0];
                if (target.Length == 0 || target.Contains("://", StringComparison.Ordinal))
                    continue;
                var path = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, target));
                Assert.True(File.Exists(path) || Directory.Exists(path), $"{Path.GetFileName(file)} links to {target}, which does not exist");
            }
        }
    }

    [Fact]
    public void Protocol_SaysTheIngestSendsPX_NotPXAT()
    {
        var text = Repository.Read("docs", "PROTOCOL.md");

        Assert.Contains("PX <receive ms + ttl − now>", text);
        Assert.DoesNotContain("(`SET … PXAT`)", text);
    }

    private static List<OptionAttribute> Options(Type type) =>
        type.GetProperties().Select(p => p.GetCustomAttribute<OptionAttribute>()).OfType<OptionAttribute>().ToList();

    [GeneratedRegex(@"^\| `--([a-z-]+)[^`]*` \|[^|\n]*\| ([^|\n]+) \|\s*$", RegexOptions.Multiline)]
    private static partial Regex TableRow();

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();
}
