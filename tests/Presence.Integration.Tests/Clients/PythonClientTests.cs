using System.Globalization;
using System.Text.RegularExpressions;
using Presence.Client;
using Presence.Integration.Tests.Query;
using Presence.Testing;

namespace Presence.Integration.Tests.Clients;

/// <summary>
/// clients/python: its own unittest suites run by python3 as child processes (vectors, round trips,
/// the events stream's edge cases against a real SSE server), then against a real ingest in
/// --require-signed mode and a real query service (batches, problems, the events stream and its
/// resume); and its command line sending signed and tampered heartbeats.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed partial class PythonClientTests(RedisFixture redis)
{
    private static readonly string s_package = RepoFiles.Path("clients", "python");

    [Fact]
    public async Task UnitSuite_VectorsRoundTripsAndSse_AllPass()
    {
        var run = await Python(["-m", "unittest", "discover", "-s", "tests", "-t", ".", "-p", "test_*.py", "-v"]);

        Assert.True(run.ExitCode == 0, run.Output);
        AssertRanWithoutSkips(run, atLeast: 30);
        Assert.Contains("test_valid_encode_byte_for_byte", run.Stderr);
        Assert.Contains("test_events_parsed_keepalives_ignored_and_resume_sends_last_event_id", run.Stderr);
        Assert.Contains("test_what_the_service_would_refuse_raises_value_error_before_any_request", run.Stderr);
        Assert.Contains("test_group_events_every_type_read_then_resumed_after_a_drop_and_a_503", run.Stderr);
    }

    [Fact]
    public async Task ServiceSuite_AgainstRealIngestAndQuery_AllPass()
    {
        await using var services = await SignedServices.StartAsync(redis.Server.Configuration);
        // The group tests' query service: the same store and prefix, with admin and read keys.
        var adminKeys = KeyFile("python-admin-key-1");
        var readKeys = KeyFile("python-read-key-1");
        try
        {
            await using var groups = await QueryHost.StartAsync(redis.Server.Configuration, services.Prefix, o =>
            {
                o.AdminKeys = adminKeys;
                o.ApiKeys = readKeys;
            });
            var environment = new Dictionary<string, string>
            {
                ["PRESENCE_TEST_INGEST"] = services.UdpTarget,
                ["PRESENCE_TEST_MASTER_KEY"] = services.MasterKeyHex,
                ["PRESENCE_TEST_KEY_ID"] = SignedServices.KeyId.ToString(CultureInfo.InvariantCulture),
                ["PRESENCE_TEST_QUERY"] = services.QueryUrl.ToString(),
                ["PRESENCE_TEST_FIRST_ID"] = "14000000",
                ["PRESENCE_TEST_GROUPS_QUERY"] = groups.Client.BaseAddress!.ToString(),
                ["PRESENCE_TEST_ADMIN_KEY"] = "python-admin-key-1",
                ["PRESENCE_TEST_READ_KEY"] = "python-read-key-1",
            };

            var run = await Python(["-m", "unittest", "discover", "-s", "tests", "-t", ".", "-p", "e2e_*.py", "-v"], environment);

            Assert.True(run.ExitCode == 0, run.Output);
            AssertRanWithoutSkips(run, atLeast: 11);
            Assert.Matches(@"test_events_stream_reports_online_and_offline .*\.\.\. ok", run.Stderr);
            Assert.Matches(@"test_a_user_with_two_devices_is_online_while_either_is .*\.\.\. ok", run.Stderr);
            Assert.Matches(@"test_group_stream_tells_membership_changes_and_heartbeats_and_resumes .*\.\.\. ok", run.Stderr);
            Assert.Matches(@"test_groups_stream_tells_a_group_online_while_any_member_is .*\.\.\. ok", run.Stderr);
            Assert.Equal(0, services.AuthFailed);
        }
        finally
        {
            File.Delete(adminKeys);
            File.Delete(readKeys);
        }
    }

    /// <summary>A key file (mode 600) holding <paramref name="key"/>, as --admin-keys and --api-keys read one.</summary>
    private static string KeyFile(string key)
    {
        var file = Path.Combine(Path.GetTempPath(), $"presence-python-keys-{Guid.NewGuid():N}");
        File.WriteAllText(file, key + "\n");
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return file;
    }

    [Fact]
    public async Task Cli_SignedHeartbeat_Accepted_TamperedRejectedAndCounted()
    {
        await using var services = await SignedServices.StartAsync(redis.Server.Configuration);
        using var client = new PresenceClient(services.QueryUrl);
        string keyId = SignedServices.KeyId.ToString(CultureInfo.InvariantCulture);

        var sent = await Python(["-m", "presence_client", "send", "--to", services.UdpTarget, "--user", "14100001",
            "--master-key", services.MasterKeyHex, "--key-id", keyId]);

        Assert.True(sent.ExitCode == 0, sent.Output);
        await Eventually.Until(async () => (await client.GetAsync(14100001)).Online, "the Python-signed user online");

        var tampered = await Python(["-m", "presence_client", "send", "--to", services.UdpTarget, "--user", "14100002",
            "--master-key", services.MasterKeyHex, "--key-id", keyId, "--corrupt-tag"]);

        Assert.True(tampered.ExitCode == 0, tampered.Output);
        await Eventually.Until(() => services.AuthFailed >= 1, "presence_records_rejected_total{reason=\"auth_failed\"} counts the tampered record");
        Assert.Equal(1, services.AuthFailed);
        Assert.False((await client.GetAsync(14100002)).Online);
    }

    [Fact]
    public async Task Package_ImportsWithNothingInstalled()
    {
        // -I: isolated mode, no user site-packages, no PYTHON* variables: only the standard library and the package folder.
        var run = await Python(["-I", "-c", "import sys; sys.path.insert(0, '.'); import presence_client; print(presence_client.__version__)"]);

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Matches(@"^\d+\.\d+\.\d+", run.Stdout);
    }

    private static Task<ToolRun> Python(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null) =>
        ToolRun.RunAsync("python3", args, TimeSpan.FromMinutes(3), workingDirectory: s_package, environment: environment);

    private static void AssertRanWithoutSkips(ToolRun run, int atLeast) => Assert.Equal(0, AssertRan(run, atLeast).Skipped);

    /// <summary>unittest's closing lines ("Ran N tests", "OK (skipped=N)"): at least <paramref name="atLeast"/> ran.</summary>
    private static (int Ran, int Skipped) AssertRan(ToolRun run, int atLeast)
    {
        var ran = RanLine().Match(run.Stderr);
        Assert.True(ran.Success, run.Output);
        int count = int.Parse(ran.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(count >= atLeast, $"only {count} tests ran\n{run.Output}");
        var skipped = SkippedLine().Match(run.Stderr);
        return (count, skipped.Success ? int.Parse(skipped.Groups[1].Value, CultureInfo.InvariantCulture) : 0);
    }

    [GeneratedRegex(@"^Ran (\d+) tests? in", RegexOptions.Multiline)]
    private static partial Regex RanLine();

    [GeneratedRegex(@"^OK \(skipped=(\d+)\)", RegexOptions.Multiline)]
    private static partial Regex SkippedLine();
}
