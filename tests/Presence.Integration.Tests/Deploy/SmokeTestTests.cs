using System.Globalization;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Presence.Integration.Tests.Security;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Deploy;

/// <summary>
/// DEPLOY.md's smoke test, run as written (bash, presence-loadgen, curl) against presence-ingest
/// requiring signed heartbeats and presence-query requiring API keys, on a real redis-server:
/// it passes, and every key it leaves is an id of the range DEPLOY.md reserves for it.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class SmokeTestTests(RedisFixture redis) : IDisposable
{
    // The reserved range, as DEPLOY.md states it.
    private const ulong FirstReserved = 9_000_000_000_000_000_000;
    private const ulong LastReserved = 9_000_000_000_000_000_999;

    private readonly string _dir = Directory.CreateTempSubdirectory("presence-smoke-").FullName;

    [Fact]
    public async Task DeploySmokeTest_PassesWithKeysAndSigning_AndWritesOnlyReservedIds()
    {
        var text = Repository.Read("docs", "DEPLOY.md");
        Assert.Contains("ids 9000000000000000000 …\n9000000000000000999, reserved for smoke tests", text);
        var block = Regex.Match(text, "<!-- smoke test -->\n```bash\n(.*?)```\n<!-- end smoke test -->", RegexOptions.Singleline);
        Assert.True(block.Success, "DEPLOY.md has no smoke test between <!-- smoke test --> and <!-- end smoke test -->");

        var apiKey = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
        var apiKeys = Private("query.keys", apiKey + "\n");
        var smokeKey = Private("smoke-api-key", apiKey + "\n");
        var masterKeys = Private("ingest.keys", "1:" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) + "\n");
        var prefix = TestKeys.Prefix();
        int udp = FreePort.Udp();
        var none = new Dictionary<string, string?>();
        using var ingest = await ServiceProcess.StartAsync(Programs.Ingest, none,
            "--udp", $"127.0.0.1:{udp}", "--http", "127.0.0.1:0", "--redis", redis.Server.Configuration, "--prefix", prefix,
            "--keys", masterKeys, "--require-signed", "--flush-ms", "50");
        using var query = await ServiceProcess.StartAsync(Programs.Query, none,
            "--http", "127.0.0.1:0", "--redis", redis.Server.Configuration, "--prefix", prefix, "--api-keys", apiKeys);
        using (var refused = await query.Client.GetAsync("/v1/presence/1"))
            Assert.Equal(401, (int)refused.StatusCode); // keys are on: a request without one is refused

        var script = block.Groups[1].Value;
        foreach (var (production, here) in new[]
        {
            ("127.0.0.1:7700", $"127.0.0.1:{udp}"),
            ("http://127.0.0.1:8080", query.Client.BaseAddress!.ToString().TrimEnd('/')),
            ("/etc/presence/smoke-api-key", smokeKey),
            ("/etc/presence/ingest.keys", masterKeys),
        })
        {
            Assert.Contains(production, script);
            script = script.Replace(production, here, StringComparison.Ordinal);
        }
        var loadgen = Path.Combine(AppContext.BaseDirectory, Programs.LoadGen + ".dll");
        script = $"presence-loadgen() {{ dotnet '{loadgen}' \"$@\"; }}\n{script}";

        var result = await ToolRun.RunAsync(Tool.Require("bash", "bash"), ["-c", script], TimeSpan.FromMinutes(3));

        Assert.True(result.ExitCode == 0, $"the smoke test failed:\n{result}\ningest:\n{ingest.Log}\nquery:\n{query.Log}");
        Assert.Contains("smoke test: 100 of 100 online", result.Stdout);
        // Signed and authenticated: the ingester refused nothing, so every record was signed with its key.
        Assert.Equal(0, await ingest.Metric("presence_records_rejected_total{reason=\"unsigned_rejected\"}"));

        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var ids = mux.GetServers().Single().Keys(pattern: prefix + "*")
            .Select(k => ulong.Parse(((string)k!)[prefix.Length..], CultureInfo.InvariantCulture)).ToList();
        Assert.Equal(100, ids.Count); // online for ttl (30 s) after the test: none has expired yet
        Assert.All(ids, id => Assert.InRange(id, FirstReserved, LastReserved));
    }

    private string Private(string name, string content)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, content);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
