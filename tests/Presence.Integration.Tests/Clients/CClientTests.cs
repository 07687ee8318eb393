using System.Text.Json;
using Presence.Client;
using Presence.Core;
using Presence.Integration.Tests.Ingest;
using Presence.Integration.Tests.Query;
using Presence.Testing;

namespace Presence.Integration.Tests.Clients;

/// <summary>
/// clients/c: the test vectors and a fuzz run (programs built with sanitizers), then presence_send,
/// a C program, heartbeating a real ingest (unsigned, and signed in --require-signed mode) with the
/// query API answering through the .NET client.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class CClientTests(RedisFixture redis, CClientBuild c) : IClassFixture<CClientBuild>
{
    [Fact]
    public async Task Vectors_EveryEntryOfVectorsJson_PassesByteForByte()
    {
        var run = await ToolRun.RunAsync(c.Program("vectors_test"), [RepoFiles.Vectors], TimeSpan.FromMinutes(3));

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.DoesNotContain("not ok", run.Stdout);
        // Every entry of the file was checked, by name: the harness cannot skip one silently.
        using var vectors = JsonDocument.Parse(File.ReadAllBytes(RepoFiles.Vectors));
        var root = vectors.RootElement;
        foreach (var v in root.GetProperty("valid").EnumerateArray())
        {
            var name = v.GetProperty("name").GetString();
            Assert.Contains($"ok - valid: {name}: encode\n", run.Stdout);
            Assert.Contains($"ok - valid: {name}: decode", run.Stdout);
        }
        foreach (var k in root.GetProperty("device_keys").EnumerateArray())
            Assert.Contains($"ok - device_keys: key {k.GetProperty("key_id").GetInt32()} user {k.GetProperty("user_id").GetString()}\n", run.Stdout);
        foreach (var v in root.GetProperty("invalid").EnumerateArray())
            Assert.Contains($"ok - invalid: {v.GetProperty("name").GetString()}: refused", run.Stdout);
        foreach (var v in root.GetProperty("bad_tag").EnumerateArray())
            Assert.Contains($"ok - bad_tag: {v.GetProperty("name").GetString()}: a record fails authentication", run.Stdout);
    }

    [Fact]
    public async Task Fuzz_RoundTripsMutationsAndRandomBytes_AllPass()
    {
        var run = await ToolRun.RunAsync(c.Program("fuzz_test"), [], TimeSpan.FromMinutes(3));

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Matches(@"fuzz: [1-9][0-9]* passed, 0 failed", run.Stdout);
    }

    [Fact]
    public void Build_ReportsTheLibraryObjectSize()
    {
        Assert.Matches(@"\s\d+\s+\d+\s+\d+\s+\d+\s+[0-9a-f]+\s+\S*presence\.o", c.Build.Stdout);
    }

    [Fact]
    public async Task Send_Unsigned_UserOnlineThroughQueryApi()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix);
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix);
        using var client = new PresenceClient(query.Client.BaseAddress!);
        const ulong user = 13_000_001;

        var run = await ToolRun.RunAsync(c.Program("presence_send"), ["--to", ingest.Host.UdpEndPoint.ToString(), "--user", "13000001"], TimeSpan.FromMinutes(3));

        Assert.True(run.ExitCode == 0, run.Output);
        await Eventually.Until(async () => (await client.GetAsync(user)).Online, "user 13000001 online");
        var answer = await client.GetAsync([user]);
        Assert.True(answer[0].LastSeenMs > DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds());

        run = await ToolRun.RunAsync(c.Program("presence_send"), ["--to", ingest.Host.UdpEndPoint.ToString(), "--user", "13000001", "--offline", "--seq", "1"], TimeSpan.FromMinutes(3));
        Assert.True(run.ExitCode == 0, run.Output);
        await Eventually.Until(async () => !(await client.GetAsync(user)).Online, "user 13000001 offline after its sign-out");
    }

    [Fact]
    public async Task Send_SignedInRequireSignedMode_Accepted_TamperedRejectedAndCounted()
    {
        await using var services = await SignedServices.StartAsync(redis.Server.Configuration);
        using var client = new PresenceClient(services.QueryUrl);
        string keyId = SignedServices.KeyId.ToString(System.Globalization.CultureInfo.InvariantCulture);

        // A gateway holding the master key, and a device holding only its own derived key.
        var gateway = await ToolRun.RunAsync(c.Program("presence_send"), ["--to", services.UdpTarget, "--user", "13000101", "--master-key", services.MasterKeyHex, "--key-id", keyId, "--count", "2"], TimeSpan.FromMinutes(3));
        var deviceKey = Convert.ToHexString(Signing.DeriveDeviceKey(services.MasterKey, 18446744073709551615)).ToLowerInvariant();
        var device = await ToolRun.RunAsync(c.Program("presence_send"), ["--to", services.UdpTarget, "--user", "18446744073709551615", "--device-key", deviceKey, "--key-id", keyId], TimeSpan.FromMinutes(3));

        Assert.True(gateway.ExitCode == 0, gateway.Output);
        Assert.True(device.ExitCode == 0, device.Output);
        await Eventually.Until(async () => (await client.GetAsync([13000101UL, ulong.MaxValue])).All(u => u.Online), "both signed users online");
        Assert.Equal(0, services.AuthFailed);

        var tampered = await ToolRun.RunAsync(c.Program("presence_send"), ["--to", services.UdpTarget, "--user", "13000102", "--master-key", services.MasterKeyHex, "--key-id", keyId, "--corrupt-tag"], TimeSpan.FromMinutes(3));

        Assert.True(tampered.ExitCode == 0, tampered.Output);
        await Eventually.Until(() => services.AuthFailed >= 1, "presence_records_rejected_total{reason=\"auth_failed\"} counts the tampered record");
        Assert.Equal(1, services.AuthFailed);
        Assert.False((await client.GetAsync(13000102)).Online);
    }
}
