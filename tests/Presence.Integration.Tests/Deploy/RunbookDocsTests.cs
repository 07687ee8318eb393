using System.Reflection;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Presence.Testing;

namespace Presence.Integration.Tests.Deploy;

/// <summary>
/// The operator's pages against the code: docs/LOGS.md lists every <c>[LoggerMessage]</c> of the
/// programs with its event id, level and message, and the troubleshooting, Redis, keys, logs and
/// runbook pages name only metrics the services export (read from their real /metrics).
/// </summary>
[Collection(RedisCollection.Name)]
public sealed partial class RunbookDocsTests(RedisFixture redis)
{
    private static readonly string[] s_operatorDocs = ["TROUBLESHOOTING.md", "LOGS.md", "REDIS.md", "KEYS.md", "RUNBOOK.md"];

    [Fact]
    public void LogCatalogue_ListsEveryLoggerMessage_WithItsLevelAndMessage()
    {
        var catalogue = Repository.Read("docs", "LOGS.md");
        var inCode = LoggerMessages();
        Assert.True(inCode.Count >= 30, $"only {inCode.Count} [LoggerMessage] methods found in {string.Join(", ", ProgramAssemblies().Select(a => a.GetName().Name))}");

        foreach (var program in inCode.GroupBy(m => m.Program))
        {
            var documented = Section(catalogue, program.Key);
            foreach (var message in program)
            {
                Assert.True(documented.TryGetValue(message.EventId, out var row),
                    $"docs/LOGS.md, section '## {program.Key}', has no row for event id {message.EventId} ({message.Method}: {message.Level} \"{message.Message}\")");
                Assert.True(row.Level == message.Level.ToString(), $"docs/LOGS.md, {program.Key} event {message.EventId}: level {row.Level}, the code says {message.Level}");
                Assert.True(row.Message == message.Message, $"docs/LOGS.md, {program.Key} event {message.EventId}: message\n  `{row.Message}`\nthe code says\n  `{message.Message}`");
            }
            var ids = program.Select(m => m.EventId).ToHashSet();
            foreach (var id in documented.Keys)
                Assert.True(ids.Contains(id), $"docs/LOGS.md, {program.Key}, documents event id {id}, which the code does not log");
        }
    }

    [Fact]
    public async Task OperatorDocs_NameOnlyMetricsTheServicesExport()
    {
        var (exported, _, _) = await ExportedMetrics.ScrapeAsync(redis);

        foreach (var doc in s_operatorDocs)
        {
            var names = MetricName().Matches(Repository.Read("docs", doc)).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
            Assert.NotEmpty(names);
            foreach (var name in names)
                Assert.True(ExportedMetrics.IsKnown(name, exported), $"docs/{doc} names '{name}', which neither service exports");
        }
    }

    private sealed record LoggedMessage(string Program, int EventId, LogLevel Level, string Message, string Method);

    /// <summary>Every [LoggerMessage] method of the programs' assemblies, with the section of LOGS.md it belongs in.</summary>
    private static List<LoggedMessage> LoggerMessages()
    {
        var found = new List<LoggedMessage>();
        foreach (var assembly in ProgramAssemblies())
        {
            // presence-ingest → "presence-ingest"; Presence.Hosting → "presence-hosting".
            var program = assembly.GetName().Name!.ToLowerInvariant().Replace('.', '-');
            foreach (var type in LoadableTypes(assembly))
            {
                foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
                {
                    if (method.GetCustomAttribute<LoggerMessageAttribute>() is { } attribute)
                        found.Add(new LoggedMessage(program, attribute.EventId, attribute.Level, attribute.Message, $"{type.Name}.{method.Name}"));
                }
            }
        }
        return found;
    }

    /// <summary>The assemblies of src/ beside the tests (the programs and their libraries), not the tests' own.</summary>
    private static List<Assembly> ProgramAssemblies() =>
        Directory.GetFiles(AppContext.BaseDirectory, "*.dll")
            .Select(Path.GetFileNameWithoutExtension)
            .Where(n => n!.StartsWith("presence", StringComparison.OrdinalIgnoreCase)
                && !n.EndsWith(".Tests", StringComparison.Ordinal) && n != "Presence.Testing")
            .Select(n => Assembly.Load(new AssemblyName(n!)))
            .ToList();

    private static IEnumerable<Type> LoadableTypes(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return e.Types.OfType<Type>();
        }
    }

    /// <summary>The rows of LOGS.md's section for <paramref name="program"/>: event id → level and message template.</summary>
    private static Dictionary<int, (string Level, string Message)> Section(string catalogue, string program)
    {
        var start = Regex.Match(catalogue, $@"^## {Regex.Escape(program)}\b.*$", RegexOptions.Multiline);
        Assert.True(start.Success, $"docs/LOGS.md has no section '## {program}', though {program} logs with [LoggerMessage]");
        var rest = catalogue[(start.Index + start.Length)..];
        var end = Regex.Match(rest, "^## ", RegexOptions.Multiline);
        var section = end.Success ? rest[..end.Index] : rest;
        var rows = new Dictionary<int, (string, string)>();
        foreach (Match row in CatalogueRow().Matches(section))
        {
            int id = int.Parse(row.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(rows.TryAdd(id, (row.Groups[2].Value, row.Groups[3].Value)), $"docs/LOGS.md, {program}: event id {id} listed twice");
        }
        return rows;
    }

    // | 5 | Warning | `Store writes failed: …` | meaning | what to do |
    [GeneratedRegex(@"^\| (\d+) \| (\w+) \| `([^`]*)` \|", RegexOptions.Multiline)]
    private static partial Regex CatalogueRow();

    // presence_store_up, presence_write_lag_seconds_bucket; not inside a recording rule's name
    // (instance:presence_…) or a path (clients/python/presence_client).
    [GeneratedRegex(@"(?<![\w:/.])presence_[a-z0-9_]*[a-z0-9]")]
    private static partial Regex MetricName();
}
