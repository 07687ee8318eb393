using System.Text.RegularExpressions;

namespace Presence.Integration.Tests.Deploy;

/// <summary>
/// DEPLOY.md's nginx example, read as nginx matches locations (an exact <c>=</c> location first,
/// else the longest prefix): the API and the console are passed on, the operations endpoints are
/// not, event streams are not buffered and outlive their keepalive gap, and the access log has
/// no query string (a browser's stream sends its key as <c>?access_token=</c>).
/// </summary>
public sealed partial class NginxExampleTests
{
    private const string Upstream = "http://127.0.0.1:8080";

    [Theory]
    [InlineData("/v1/presence/42")]
    [InlineData("/v1/presence")]
    [InlineData("/v1/presence/query")]
    [InlineData("/v1/presence/events")]
    [InlineData("/ui")]
    public void ApiAndConsole_ArePassedOn(string path)
    {
        var location = Resolve(Example(), path);

        Assert.True(location?.Directives.GetValueOrDefault("proxy_pass") == Upstream,
            $"DEPLOY.md's nginx example does not pass {path} to {Upstream} ({location?.Match ?? "no location"})");
    }

    [Theory]
    [InlineData("/metrics")]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/openapi/v1.json")]
    [InlineData("/v1")]
    public void OperationsEndpoints_AreNotPassedOn(string path)
    {
        var location = Resolve(Example(), path);

        Assert.True(location is null || !location.Directives.ContainsKey("proxy_pass"),
            $"DEPLOY.md's nginx example passes {path} on ({location?.Match})");
    }

    [Fact]
    public void EventStreams_AreNotBuffered_AndOutliveTheKeepaliveGap()
    {
        var location = Resolve(Example(), "/v1/presence/events")!;

        Assert.Equal("off", location.Directives.GetValueOrDefault("proxy_buffering"));
        var timeout = location.Directives.GetValueOrDefault("proxy_read_timeout");
        Assert.True(timeout is not null && Seconds(timeout) > 15 * 2, $"proxy_read_timeout {timeout ?? "(nginx's 60 s)"}: a stream's keepalive comes every 15 s at most; give it room");
    }

    [Fact]
    public void AccessLog_HasNoQueryString()
    {
        var example = ExampleText();
        var formats = LogFormat().Matches(example).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        var logs = AccessLog().Matches(example).ToList();

        Assert.NotEmpty(logs); // without one, nginx logs $request (query string included) in its combined format
        foreach (Match log in logs)
        {
            if (log.Groups[1].Value == "off")
                continue;
            var name = log.Groups[2].Success ? log.Groups[2].Value : "combined";
            Assert.True(formats.TryGetValue(name, out var format), $"access_log {log.Groups[1].Value} uses format '{name}', which the example does not define (nginx's combined logs $request)");
            Assert.False(QueryVariable().IsMatch(format), $"log_format {name} logs the query string: {QueryVariable().Match(format).Value}");
        }
    }

    /// <summary>The location nginx picks for <paramref name="path"/>; the example has no regex locations.</summary>
    private static Location? Resolve(IReadOnlyList<Location> locations, string path)
    {
        Assert.DoesNotContain(locations, l => l.Modifier is "~" or "~*");
        return locations.FirstOrDefault(l => l.Modifier == "=" && l.Path == path)
            ?? locations.Where(l => l.Modifier != "=" && path.StartsWith(l.Path, StringComparison.Ordinal)).MaxBy(l => l.Path.Length);
    }

    private static List<Location> Example()
    {
        var locations = LocationBlock().Matches(ExampleText()).Select(m =>
        {
            var directives = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (Match d in Directive().Matches(m.Groups[3].Value))
                directives[d.Groups[1].Value] = d.Groups[2].Value.Trim();
            return new Location(m.Groups[1].Value, m.Groups[2].Value, m.Groups[0].Value.Split('{')[0].Trim(), directives);
        }).ToList();
        Assert.True(locations.Count >= 2, $"only {locations.Count} location blocks read");
        return locations;
    }

    /// <summary>The example, comments taken out.</summary>
    private static string ExampleText()
    {
        var block = Regex.Match(Repository.Read("docs", "DEPLOY.md"), "<!-- nginx example -->\n```nginx\n(.*?)```\n<!-- end nginx example -->", RegexOptions.Singleline);
        Assert.True(block.Success, "DEPLOY.md has no nginx example between <!-- nginx example --> and <!-- end nginx example -->");
        return Regex.Replace(block.Groups[1].Value, "#[^\n]*", "");
    }

    private static double Seconds(string value)
    {
        var m = Regex.Match(value, @"^(\d+)(ms|s|m|h|d)?$");
        Assert.True(m.Success, $"cannot read the time '{value}'");
        double n = double.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        return m.Groups[2].Value switch { "ms" => n / 1000, "m" => n * 60, "h" => n * 3600, "d" => n * 86400, _ => n };
    }

    private sealed record Location(string Modifier, string Path, string Match, Dictionary<string, string> Directives);

    // location [= | ~ | ~* | ^~] PATH { directives } (no nested blocks in the example)
    [GeneratedRegex(@"location\s+(=|~\*|~|\^~)?\s*(\S+)\s*\{([^{}]*)\}")]
    private static partial Regex LocationBlock();

    [GeneratedRegex(@"^\s*([a-z_]+)\s+([^;]*);", RegexOptions.Multiline)]
    private static partial Regex Directive();

    // log_format NAME 'part' 'part' …;
    [GeneratedRegex(@"log_format\s+(\S+)\s+([^;]*);")]
    private static partial Regex LogFormat();

    // access_log PATH [FORMAT] …; or access_log off;
    [GeneratedRegex(@"access_log\s+([^\s;]+)(?:\s+([^\s;]+))?[^;]*;")]
    private static partial Regex AccessLog();

    // $request (the whole request line), $request_uri, $args, $query_string, $arg_NAME.
    [GeneratedRegex(@"\$(request\b(?!_)|request_uri\b|args\b|query_string\b|arg_\w+)")]
    private static partial Regex QueryVariable();
}
