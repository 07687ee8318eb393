using System.Diagnostics;
using System.Text.RegularExpressions;
using Presence.Testing;

namespace Presence.Integration.Tests.Query;

[Collection(RedisCollection.Name)]
public sealed class QueryMetricsTests(RedisFixture redis)
{
    [Fact]
    public async Task Metrics_AfterRequests_CountsByRouteAndStatus()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());
        (await query.Client.GetAsync("/v1/presence/1")).Dispose();
        (await query.Client.GetAsync("/v1/presence/1")).Dispose();
        (await query.Client.GetAsync("/v1/presence?ids=1,x")).Dispose();
        (await query.PostJson("""{"ids":[1,2,3]}""")).Dispose();

        // A request is counted once its response is written, which the client may see first.
        async Task Counted(double expected, string sample) =>
            await Eventually.Equal(expected, async () => PrometheusText.Sample(await query.Client.GetStringAsync("/metrics"), sample), sample);
        await Counted(2, "presence_query_requests_total{route=\"/v1/presence/{id}\",status=\"200\"}");
        await Counted(1, "presence_query_requests_total{route=\"/v1/presence\",status=\"400\"}");
        await Counted(1, "presence_query_requests_total{route=\"/v1/presence/query\",status=\"200\"}");
        await Counted(2, "presence_query_request_duration_seconds_count{route=\"/v1/presence/{id}\"}");
        await Counted(3, "presence_query_store_roundtrip_seconds_count{result=\"ok\"}");
        await Counted(5, "presence_query_ids_total");
    }

    [Fact]
    public async Task Metrics_Exposition_EveryFamilyHasHelpAndTypeAndCountersEndInTotal()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());
        (await query.Client.GetAsync("/v1/presence/1")).Dispose();

        var text = await query.Client.GetStringAsync("/metrics");

        var help = Families(text, "HELP");
        var types = Regex.Matches(text, @"^# TYPE (\S+) (\S+)$", RegexOptions.Multiline).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.NotEmpty(types);
        Assert.Equal(help.Order(), types.Keys.Order());
        Assert.All(types.Where(t => t.Value == "counter"), t => Assert.EndsWith("_total", t.Key));
        foreach (Match sample in Regex.Matches(text, @"^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]", RegexOptions.Multiline))
        {
            var name = sample.Groups[1].Value;
            Assert.True(types.Keys.Any(family => name == family || name.StartsWith(family + "_", StringComparison.Ordinal)), $"{name} has no TYPE");
        }
        await PromtoolAgrees(text);
    }

    private static HashSet<string> Families(string text, string kind) =>
        Regex.Matches(text, $@"^# {kind} (\S+) ", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToHashSet();

    /// <summary>Prometheus's own linter, where installed (Debian package 'prometheus'); the checks above stand in otherwise.</summary>
    private static async Task PromtoolAgrees(string text)
    {
        var promtool = new[] { "/usr/bin/promtool", "/usr/local/bin/promtool" }.FirstOrDefault(File.Exists);
        if (promtool is null)
            return;
        using var process = Process.Start(new ProcessStartInfo(promtool, "check metrics")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        await process.StandardInput.WriteAsync(text);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync() + await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"promtool check metrics: {output}");
    }
}
