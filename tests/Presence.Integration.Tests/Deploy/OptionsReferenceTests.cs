using System.Text.RegularExpressions;
using Presence.Testing;
using Xunit.Abstractions;

namespace Presence.Integration.Tests.Deploy;

/// <summary>
/// docs/OPTIONS.md, the one options reference: each program's <c>--help</c> (every option, its
/// default and meaning) copied in by the programs themselves. The copy must equal what the built
/// programs print, so an option, default or description changed in code fails here until the
/// reference is regenerated with <see cref="UpdateCommand"/>; and every program command line in
/// the docs may name only options its program lists.
/// </summary>
public sealed partial class OptionsReferenceTests(ITestOutputHelper output)
{
    /// <summary>The one command that rewrites docs/OPTIONS.md's generated blocks from the programs.</summary>
    public const string UpdateCommand =
        "PRESENCE_UPDATE_DOCS=1 dotnet test tests/Presence.Integration.Tests -c Release --filter 'FullyQualifiedName~OptionsReference'";

    private const string Doc = "OPTIONS.md";

    /// <summary>Every help the reference holds: the three programs and presence-loadgen's <c>keys</c> command.</summary>
    public static readonly string[][] Helps =
    [
        [Programs.Ingest, "--help"],
        [Programs.Query, "--help"],
        [Programs.LoadGen, "--help"],
        [Programs.LoadGen, "keys", "--help"],
    ];

    [Fact]
    public async Task OptionsReference_EqualsThePrograms_Help()
    {
        var path = Repository.PathOf("docs", Doc);
        var text = File.ReadAllText(path);
        var update = Environment.GetEnvironmentVariable("PRESENCE_UPDATE_DOCS") == "1";
        var differences = new List<string>();

        foreach (var command in Helps)
        {
            var title = string.Join(' ', command);
            var help = await HelpOf(command);
            var block = Block(title).Match(text);
            Assert.True(block.Success, $"docs/{Doc} has no generated block for `{title}` (<!-- help: {title} --> … <!-- end help -->)");
            var documented = Normalize(block.Groups[2].Value);
            if (documented == help)
                continue;
            if (update)
                text = text[..block.Groups[2].Index] + help + "\n" + text[(block.Groups[2].Index + block.Groups[2].Length)..];
            else
                differences.Add($"`{title}`: {FirstDifference(documented, help)}");
        }

        if (update)
        {
            File.WriteAllText(path, text);
            output.WriteLine($"docs/{Doc} rewritten from the programs' help");
            return;
        }
        Assert.True(differences.Count == 0,
            $"docs/{Doc} differs from the programs' --help:\n{string.Join('\n', differences)}\n" +
            $"Regenerate it (then read the diff and fix the prose around it if needed):\n  {UpdateCommand}");
    }

    [Fact]
    public async Task CommandLines_InTheDocs_NameOnlyOptionsTheProgramHas()
    {
        var options = new Dictionary<string, HashSet<string>>();
        foreach (var command in Helps)
        {
            var program = command[0];
            if (!options.TryGetValue(program, out var names))
                options[program] = names = [];
            names.UnionWith(OptionName().Matches(await HelpOf(command)).Select(m => m.Value));
        }
        foreach (var (program, names) in options)
            Assert.True(names.Count >= 10, $"only {names.Count} options read from {program}'s help");

        var files = Directory.GetFiles(Repository.PathOf("docs"), "*.md").Append(Repository.PathOf("README.md"));
        int checkedLines = 0;
        foreach (var file in files)
        {
            foreach (Match line in CommandLine().Matches(File.ReadAllText(file)))
            {
                var program = line.Groups[1].Value;
                checkedLines++;
                foreach (Match option in OptionName().Matches(line.Groups[2].Value))
                {
                    Assert.True(options[program].Contains(option.Value),
                        $"{Path.GetFileName(file)}: `{program}{line.Groups[2].Value}` names {option.Value}, which {program} --help does not list");
                }
            }
        }
        Assert.True(checkedLines >= 10, $"only {checkedLines} command lines found in the docs");
    }

    [Fact]
    public void Docs_LinkTheReference_InsteadOfCopyingOptionTables()
    {
        foreach (var doc in new[] { "OPERATIONS.md", "QUERY.md", "LOADGEN.md", "DEPLOY.md", "INGEST.md" })
        {
            var text = Repository.Read("docs", doc);
            Assert.Contains("(OPTIONS.md", text);
            // A table whose rows begin with an option: the reference's job.
            Assert.False(OptionTableRow().IsMatch(text), $"docs/{doc} has an option table; link OPTIONS.md instead");
        }
        Assert.Contains("(docs/OPTIONS.md)", Repository.Read("README.md"));
    }

    private static async Task<string> HelpOf(string[] command)
    {
        using var program = ChildProcess.Start(command[0], command[1..]);
        int exit = await program.WaitForExitAsync(ChildProcess.StartupTimeout);
        Assert.True(exit == 0, $"{string.Join(' ', command)} exited {exit}:\n{program.Log}");
        return Normalize(program.Stdout);
    }

    /// <summary>Lines without trailing blanks, no blank lines at either end, \n line ends.</summary>
    private static string Normalize(string text)
    {
        var lines = text.Replace("\r", "", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[0].Length == 0)
            lines.RemoveAt(0);
        while (lines.Count > 0 && lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        return string.Join('\n', lines);
    }

    private static string FirstDifference(string documented, string help)
    {
        var a = documented.Split('\n');
        var b = help.Split('\n');
        for (int i = 0; i < Math.Max(a.Length, b.Length); i++)
        {
            var left = i < a.Length ? a[i] : "(end)";
            var right = i < b.Length ? b[i] : "(end)";
            if (left != right)
                return $"line {i + 1}: the doc has '{left}', the program prints '{right}'";
        }
        return "line ends differ";
    }

    private static Regex Block(string title) => new(
        $@"(<!-- help: {Regex.Escape(title)} -->\n```text\n)(.*?)(?=```\n<!-- end help -->)",
        RegexOptions.Singleline);

    // --name as an option: not inside a word (a-b--c), not a bare "--".
    [GeneratedRegex(@"(?<![\w-])--[a-z][a-z0-9-]*")]
    private static partial Regex OptionName();

    // A program run at the start of a line or of a code span: "presence-loadgen --target …" up to the line's (or span's) end.
    [GeneratedRegex(@"(?<=^[ \t]*|`)(presence-ingest|presence-query|presence-loadgen)( [^`\n]*)", RegexOptions.Multiline)]
    private static partial Regex CommandLine();

    [GeneratedRegex(@"^\| `--[a-z]", RegexOptions.Multiline)]
    private static partial Regex OptionTableRow();
}
