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

    [Theory]
    [InlineData("namespace A;\npublic enum K { X }\npublic readonly record struct R(int A);\n", 2)]
    [InlineData("namespace A;\n/// <summary>x</summary>\ninternal sealed class C\n{\n    private sealed class Nested { }\n}\n", 1)]
    [InlineData("namespace A;\npublic static partial class P { }\ninternal interface I { }\n", 2)]
    public void TopLevelType_CountsOnlyTypesAtTheStartOfALine(string source, int expected) =>
        Assert.Equal(expected, TopLevelType().Matches(source).Count);

    // A type declared at the start of a line: nested types are indented, so they do not count.
    [GeneratedRegex(@"^(?:(?:public|internal|file|static|sealed|abstract|readonly|partial|ref|unsafe)\s+)*(?:class|struct|interface|enum|record(?:\s+(?:struct|class))?)\s+(\w+)", RegexOptions.Multiline)]
    private static partial Regex TopLevelType();

    [GeneratedRegex(@"^namespace\s+([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex FileNamespace();
}
