using System.Net;
using Presence.Integration.Tests.Ingest;
using Presence.Testing;

namespace Presence.Integration.Tests.Security;

/// <summary>
/// No credential in anything either service writes or serves: both run as child processes against
/// a redis-server whose users need a password this test chose, are put to work (heartbeats, a
/// batch, their store connections killed and re-made), then stopped; their whole output (stdout and
/// stderr, start to exit) and their <c>/metrics</c> must not hold the password. Both ways of
/// giving it are covered: in the <c>--redis</c> string (where presence-query once logged it at
/// start) and from <c>--redis-password-file</c> (what the systemd units do, SECURITY.md).
/// </summary>
[Collection(RedisCollection.Name)] // joins the collection only to run apart from the other classes; the server is its own
public sealed class SecretsInOutputTests : IDisposable
{
    private const string AdminUser = "admin";
    private const string ServiceUser = "presence";

    private readonly string _adminPassword = Guid.NewGuid().ToString("N");
    // Recognisable in any output, and not a substring of anything else there.
    private readonly string _password = "pw" + Guid.NewGuid().ToString("N");
    private readonly RedisServer _server;
    private readonly string _dir = Directory.CreateTempSubdirectory("presence-secrets-").FullName;

    public SecretsInOutputTests()
    {
        var acl = $"""
            user default off
            user {AdminUser} on >{_adminPassword} ~* &* +@all
            user {ServiceUser} on >{_password} ~* &* +@all

            """;
        _server = RedisServer.StartWithAcl(acl, (AdminUser, _adminPassword));
    }

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    public enum PasswordIn
    {
        /// <summary><c>--redis 127.0.0.1:P,user=…,password=…</c>: on the command line.</summary>
        RedisString,

        /// <summary><c>--redis 127.0.0.1:P,user=…</c> and <c>--redis-password-file FILE</c>.</summary>
        PasswordFile,
    }

    [Theory]
    [InlineData(PasswordIn.RedisString)]
    [InlineData(PasswordIn.PasswordFile)]
    public async Task BothServices_Working_NeitherLogsNorMetricsHoldThePassword(PasswordIn how)
    {
        var prefix = "presence:" + TestKeys.Prefix();
        var redis = $"127.0.0.1:{_server.Port},user={ServiceUser}";
        string[] password;
        if (how == PasswordIn.RedisString)
        {
            redis += $",password={_password}";
            password = [];
        }
        else
        {
            var file = Path.Combine(_dir, "redis-password");
            File.WriteAllText(file, _password + "\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            password = ["--redis-password-file", file];
        }
        var users = IngestTestHost.Users(1, 20);
        int udpPort = FreePort.Udp();
        var none = new Dictionary<string, string?>();
        using var ingest = await ServiceProcess.StartAsync("presence-ingest", none,
            ["--udp", $"127.0.0.1:{udpPort}", "--http", "127.0.0.1:0", "--redis", redis, .. password, "--prefix", prefix, "--flush-ms", "50"]);
        using var query = await ServiceProcess.StartAsync("presence-query", none,
            ["--http", "127.0.0.1:0", "--redis", redis, .. password, "--prefix", prefix]);

        // At work: heartbeats written, a batch answered.
        await Eventually.Until(async () => await ingest.ReadyStatus() == 200 && await query.ReadyStatus() == 200, "both services ready (authenticated)");
        ServiceProcess.Heartbeat(udpPort, users);
        await Eventually.Until(async () => await OnlineOf(query, users) == users.Length, "every user online through the query service");

        // Their store connections cut: both reconnect, authenticating again (and may log the loss).
        Assert.DoesNotContain("ERR", _server.Command("CLIENT", "KILL", "USER", ServiceUser), StringComparison.Ordinal);
        await Eventually.Until(async () => await ingest.ReadyStatus() == 200 && await query.ReadyStatus() == 200, "both ready again after CLIENT KILL");
        ServiceProcess.Heartbeat(udpPort, users);
        await Eventually.Until(async () => await OnlineOf(query, users) == users.Length, "every user online after the reconnect");
        await Eventually.Until(async () => await ingest.Metric("presence_store_writes_total{result=\"ok\"}") >= 2 * users.Length, "the second round written");

        var metrics = await ingest.Client.GetStringAsync("/metrics") + await query.Client.GetStringAsync("/metrics");
        Assert.Equal(0, await ingest.StopAsync());
        Assert.Equal(0, await query.StopAsync());

        var output = ingest.Log + query.Log;
        Assert.Contains("Store: redis", ingest.Log, StringComparison.Ordinal);          // the lines that name the store were written
        Assert.Contains($"store 127.0.0.1:{_server.Port}", query.Log, StringComparison.Ordinal);
        Assert.False(output.Contains(_password, StringComparison.Ordinal), $"the password is in the services' output:\n{output}");
        Assert.False(metrics.Contains(_password, StringComparison.Ordinal), "the password is in /metrics");
    }

    [Fact]
    public async Task Query_BadRedisString_ReasonMasksThePassword()
    {
        // A reason echoes the --redis string; stderr is the service's log under systemd.
        using var query = ChildProcess.Start("presence-query", "--http", "127.0.0.1:0", "--redis", $"127.0.0.1:{_server.Port},password={_password},nosuchoption=1");

        Assert.Equal(2, await query.WaitForExitAsync(ChildProcess.StartupTimeout));
        Assert.Contains("password=***", query.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(_password, query.Log, StringComparison.Ordinal);
    }

    private static async Task<int> OnlineOf(ServiceProcess query, ulong[] users)
    {
        using var response = await query.Client.GetAsync($"/v1/presence?ids={string.Join(',', users)}");
        if (response.StatusCode != HttpStatusCode.OK)
            return -1;
        return (await Query.QueryHost.Json(response)).GetProperty("online").GetInt32();
    }
}
