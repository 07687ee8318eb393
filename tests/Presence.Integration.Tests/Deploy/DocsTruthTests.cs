using System.Reflection;
using System.Text.RegularExpressions;
using CommandLine;
using Presence.Ingest;
using Presence.LoadGen;
using Presence.Query;

namespace Presence.Integration.Tests.Deploy;

/// <summary>
/// What an operator reads in docs/ against what the programs do: every option documented (in
/// OPTIONS.md, whose defaults and meanings OptionsReferenceTests checks against --help), every
/// link leading to a file that exists.
/// </summary>
public sealed partial class DocsTruthTests
{
    [Theory]
    [InlineData(typeof(IngestOptions), "OPTIONS.md")]
    [InlineData(typeof(QueryOptions), "OPTIONS.md")]
    [InlineData(typeof(LoadGenOptions), "OPTIONS.md")]
    [InlineData(typeof(KeysOptions), "OPTIONS.md")]
    public void EveryOption_IsDocumented(Type options, string doc)
    {
        var text = Repository.Read("docs", doc);

        foreach (var option in Options(options))
            Assert.True(Regex.IsMatch(text, $@"--{Regex.Escape(option.LongName)}\b"), $"docs/{doc} does not document --{option.LongName}");
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

    [GeneratedRegex(@"\]\(([^)\s]+)\)")]
    private static partial Regex MarkdownLink();
}
