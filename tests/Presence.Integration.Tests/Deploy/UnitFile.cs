namespace Presence.Integration.Tests.Deploy;

/// <summary>A systemd unit or environment file read as systemd reads the parts these tests check.</summary>
internal sealed class UnitFile
{
    private readonly List<(string Section, string Key, string Value)> _entries = [];

    private UnitFile(string path)
    {
        Path = path;
        string section = "";
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
                continue;
            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                section = line[1..^1];
                continue;
            }
            int eq = line.IndexOf('=');
            Assert.True(eq > 0, $"{path}: not KEY=VALUE: {line}");
            _entries.Add((section, line[..eq].Trim(), line[(eq + 1)..].Trim()));
        }
    }

    public string Path { get; }

    public string Name => System.IO.Path.GetFileName(Path);

    public static UnitFile Load(string path) => new(path);

    /// <summary>Every value given to <paramref name="key"/> in <paramref name="section"/>, in order (a key may repeat).</summary>
    public IReadOnlyList<string> All(string section, string key) =>
        _entries.Where(e => e.Section == section && e.Key == key).Select(e => e.Value).ToList();

    /// <summary>The value in force: the last one given. Fails when the key is absent.</summary>
    public string Get(string section, string key)
    {
        var values = All(section, key);
        Assert.True(values.Count > 0, $"{Name}: [{section}] has no {key}=");
        return values[^1];
    }

    /// <summary>An environment file's variables (KEY=VALUE, optionally quoted).</summary>
    public static Dictionary<string, string> Environment(string path)
    {
        var variables = new Dictionary<string, string>();
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
                continue;
            int eq = line.IndexOf('=');
            Assert.True(eq > 0, $"{path}: not KEY=VALUE: {line}");
            var value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && value[0] is '"' or '\'' && value[^1] == value[0])
                value = value[1..^1];
            variables[line[..eq].Trim()] = value;
        }
        return variables;
    }

    /// <summary>
    /// The argv systemd builds from an Exec line: specifiers replaced, <c>${VAR}</c> as one word,
    /// <c>$VAR</c> split on whitespace (systemd.service(5), "Command lines").
    /// </summary>
    public static List<string> CommandLine(string exec, IReadOnlyDictionary<string, string> specifiers, IReadOnlyDictionary<string, string> variables)
    {
        foreach (var (specifier, value) in specifiers)
            exec = exec.Replace(specifier, value, StringComparison.Ordinal);
        var argv = new List<string>();
        foreach (var word in exec.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (word.StartsWith('$') && !word.StartsWith("${", StringComparison.Ordinal))
            {
                Assert.True(variables.TryGetValue(word[1..], out var spread), $"{word} is set by no environment file");
                argv.AddRange(spread.Split(' ', StringSplitOptions.RemoveEmptyEntries));
                continue;
            }
            var expanded = System.Text.RegularExpressions.Regex.Replace(word, @"\$\{(\w+)\}", m =>
            {
                Assert.True(variables.TryGetValue(m.Groups[1].Value, out var value), $"{m.Value} is set by no environment file");
                return value;
            });
            argv.Add(expanded);
        }
        return argv;
    }
}
