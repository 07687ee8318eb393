using System.Text.RegularExpressions;

namespace Presence.Integration.Tests.Deploy;

/// <summary>
/// The layout CONTRIBUTING.md promises for src/: one top-level type per file, and folders that are
/// namespaces (no namespace spans two folders), so a reader finds a type where its name says.
/// </summary>
public sealed partial class SourceLayoutTests
{
    private static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(Repository.PathOf("src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    [Fact]
    public void EveryFile_HoldsOneTopLevelType()
    {
        var files = SourceFiles().ToList();
        Assert.NotEmpty(files);
        var crowded = files
            .Select(f => (File: Path.GetRelativePath(Repository.Root, f), Types: TopLevelType().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value).Distinct().ToList()))
            .Where(f => f.Types.Count > 1)
            .Select(f => $"{f.File}: {string.Join(", ", f.Types)}")
            .ToList();
        Assert.True(crowded.Count == 0, "files with more than one top-level type:\n" + string.Join('\n', crowded));
    }

    [Fact]
    public void EveryNamespace_LivesInOneFolder()
    {
        var spans = SourceFiles()
            .Select(f => (Folder: Path.GetRelativePath(Repository.Root, Path.GetDirectoryName(f)!), Match: FileNamespace().Match(File.ReadAllText(f))))
            .Where(f => f.Match.Success)
            .GroupBy(f => f.Match.Groups[1].Value, f => f.Folder)
            .Where(g => g.Distinct().Count() > 1)
            .Select(g => $"{g.Key}: {string.Join(", ", g.Distinct().Order(StringComparer.Ordinal))}")
            .ToList();
        Assert.True(spans.Count == 0, "namespaces spanning folders:\n" + string.Join('\n', spans));
    }

    /// <summary>
    /// The folders of each project's Internal/ are the ones CONTRIBUTING.md names, in its order (the
    /// order data flows), and for presence-ingest also the ones INGEST.md's pipeline drawing names, in the same order.
    /// </summary>
    [Theory]
    [InlineData("Ingest", "docs/INGEST.md")]
    [InlineData("Query", null)]
    public void InternalFolders_AreTheOnesTheDocsName_InTheirOrder(string project, string? architectureDoc)
    {
        var tree = Directory.EnumerateDirectories(Repository.PathOf($"src/{project}/Internal"))
            .Select(d => Path.GetFileName(d)!).Where(d => d is not ("bin" or "obj")).Order(StringComparer.Ordinal).ToList();
        var contributing = File.ReadAllText(Repository.PathOf("CONTRIBUTING.md"));
        var sentence = Regex.Match(contributing, $@"`src/{project}/Internal/` reads (.*?)[;(]", RegexOptions.Singleline);
        Assert.True(sentence.Success, $"CONTRIBUTING.md names the folders of src/{project}/Internal/");
        var named = FolderName().Matches(sentence.Groups[1].Value).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(tree, named.Order(StringComparer.Ordinal).ToList());
        if (architectureDoc is null)
            return;
        var drawing = Regex.Match(File.ReadAllText(Repository.PathOf(architectureDoc)), @"## Pipeline.*?```\n(.*?)```", RegexOptions.Singleline);
        Assert.True(drawing.Success, $"{architectureDoc} has a pipeline drawing");
        var drawn = Regex.Matches(drawing.Groups[1].Value, @"^ (\w+)/", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(named, drawn);
    }

    [Theory]
    [InlineData("namespace A;\npublic enum K { X }\npublic readonly record struct R(int A);\n", 2)]
    [InlineData("namespace A;\n/// <summary>x</summary>\ninternal sealed class C\n{\n    private sealed class Nested { }\n}\n", 1)]
    [InlineData("namespace A;\npublic static partial class P { }\ninternal interface I { }\n", 2)]
    public void TopLevelType_CountsOnlyTypesAtTheStartOfALine(string source, int expected) =>
        Assert.Equal(expected, TopLevelType().Matches(source).Count);

    // A type declared at the start of a line: nested types are indented, so they do not count.
    [GeneratedRegex(@"^(?:(?:public|internal|file|static|sealed|abstract|readonly|partial|ref|unsafe)\s+)*(?:class|struct|interface|enum|record(?:\s+(?:struct|class))?)\s+(\w+)", RegexOptions.Multiline)]
    private static partial Regex TopLevelType();

    // A folder as CONTRIBUTING.md writes it: a word and a slash, inside backticks with others.
    [GeneratedRegex(@"(\w+)/(?=[\s`])")]
    private static partial Regex FolderName();

    [GeneratedRegex(@"^namespace\s+([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex FileNamespace();
}
