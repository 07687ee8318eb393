using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Presence.Integration.Tests.Ingest;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Security;

/// <summary>
/// TLS to the store as SECURITY.md gives it, against a real redis-server that listens with TLS
/// only (<see cref="Presence.Testing.RedisServer.StartWithTls"/>: a throwaway CA, a certificate for localhost and
/// 127.0.0.1, no plaintext port). The services run as child processes: the CA is trusted through
/// <c>SERedis_IssuerCertPath</c> in their environment alone, and the configuration string is the
/// operator's, unchanged. The failures prove the trust is checked: without the CA, with another
/// name, or in plaintext, neither service ever becomes ready or writes.
/// </summary>
[Collection(RedisCollection.Name)] // joins the collection only to run apart from the other classes; the server is its own
public sealed class RedisTlsTests : IDisposable
{
    private const string TrustVariable = "SERedis_IssuerCertPath";

    // Watched after the ingest has failed twice (so both services have tried to connect): the same
    // services with the CA trusted answer ready on their first /readyz.
    private static readonly TimeSpan s_neverReadyWindow = TimeSpan.FromSeconds(1);

    private readonly RedisServer _server = RedisServer.StartWithTls();

    public void Dispose() => _server.Dispose();

    /// <summary>The configuration string of SECURITY.md for this server.</summary>
    private string Tls => $"127.0.0.1:{_server.Port},ssl=true,sslHost=localhost";

    private Dictionary<string, string?> TrustingCa => new() { [TrustVariable] = _server.CaCertificatePath };

    // The variable removed, should the machine running the tests set it.
    private static Dictionary<string, string?> NotTrustingCa => new() { [TrustVariable] = null };

    /// <summary>A connection of the test's own, over TLS, trusting the CA for itself only.</summary>
    private Task<ConnectionMultiplexer> Connect() => ConnectionMultiplexer.ConnectAsync(_server.ClientOptions());

    private static Task<ServiceProcess> StartIngest(string redis, string prefix, int udpPort, Dictionary<string, string?> environment) =>
        ServiceProcess.StartAsync("presence-ingest", environment,
            "--udp", $"127.0.0.1:{udpPort}", "--http", "127.0.0.1:0", "--redis", redis, "--prefix", prefix,
            "--flush-ms", "50", "--store-timeout-ms", "1000");

    private static Task<ServiceProcess> StartQuery(string redis, string prefix, Dictionary<string, string?> environment) =>
        ServiceProcess.StartAsync("presence-query", environment, "--http", "127.0.0.1:0", "--redis", redis, "--prefix", prefix);

    private static void Heartbeat(int udpPort, IEnumerable<ulong> users) => ServiceProcess.Heartbeat(udpPort, users);

    [Fact]
    public void Fixture_ListensWithTlsOnly_KeyPrivate_FilesRemoved()
    {
        // The fixture's own PING went over TLS (trusting the CA, name localhost); a plaintext one gets no PONG.
        Assert.StartsWith("+PONG", _server.Command("PING"), StringComparison.Ordinal);
        string plaintext;
        try
        {
            plaintext = PlaintextPing(_server.Port);
        }
        catch (IOException)
        {
            plaintext = "(connection reset)";
        }
        Assert.DoesNotContain("PONG", plaintext, StringComparison.Ordinal);

        // The key is the owner's alone, and every file goes with the server.
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_server.ServerKeyPath!));
        var dir = Path.GetDirectoryName(_server.CaCertificatePath)!;
        _server.Dispose();
        Assert.False(Directory.Exists(dir), $"{dir} left behind");
    }

    private static string PlaintextPing(int port)
    {
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, port);
        client.ReceiveTimeout = 5000;
        var stream = client.GetStream();
        stream.Write("*1\r\n$4\r\nPING\r\n"u8);
        var buffer = new byte[256];
        int n = stream.Read(buffer); // the server drops a connection that does not start TLS: 0 bytes
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    [Fact]
    public async Task Ingest_OverTls_TrustingCaFromEnvironment_WritesHeartbeats()
    {
        var prefix = "presence:" + TestKeys.Prefix();
        var users = IngestTestHost.Users(1, 30);
        int udpPort = FreePort.Udp();
        using var ingest = await StartIngest(Tls, prefix, udpPort, TrustingCa);
        await Eventually.Until(async () => await ingest.ReadyStatus() == 200, "ingest ready over TLS");

        Heartbeat(udpPort, users);

        using var mux = await Connect();
        var db = mux.GetDatabase();
        await Eventually.Until(() => IngestTestHost.AllExist(db, prefix, users), "every heartbeat written over TLS");
        // Counted once each batch has been answered, a moment after its keys can be seen.
        await Eventually.Until(async () => await ingest.Metric("presence_store_writes_total{result=\"ok\"}") >= users.Length, "the writes counted ok");
        await Eventually.Equal(0, () => ingest.Metric("presence_store_writes_total{result=\"failed\"}"), "store writes failed");
    }

    [Fact]
    public async Task Query_OverTls_TrustingCaFromEnvironment_AnswersBatch()
    {
        var prefix = "presence:" + TestKeys.Prefix();
        using (var mux = await Connect())
        {
            var db = mux.GetDatabase();
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            await db.StringSetAsync(prefix + "7", now, TimeSpan.FromMinutes(1));
            await db.StringSetAsync(prefix + "8", now, TimeSpan.FromMinutes(1));
        }

        using var query = await StartQuery(Tls, prefix, TrustingCa);
        await Eventually.Until(async () => await query.ReadyStatus() == 200, "query ready over TLS");
        using var response = await query.Client.PostAsync("/v1/presence/query", new StringContent("""{"ids":[7,8,9]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await Query.QueryHost.Json(response);
        Assert.Equal(2, body.GetProperty("online").GetInt32());
        var online = body.GetProperty("users").EnumerateArray().ToDictionary(u => u.GetProperty("id").GetString()!, u => u.GetProperty("online").GetBoolean());
        Assert.True(online["7"]);
        Assert.True(online["8"]);
        Assert.False(online["9"]);
    }

    public enum Misconfiguration
    {
        /// <summary>ssl=true, but the throwaway CA is not trusted (no SERedis_IssuerCertPath).</summary>
        CaNotTrusted,

        /// <summary>The CA trusted, but sslHost names a host the certificate is not for.</summary>
        WrongHostName,

        /// <summary>No ssl=true: plaintext RESP to the TLS port.</summary>
        Plaintext,
    }

    [Theory]
    [InlineData(Misconfiguration.CaNotTrusted)]
    [InlineData(Misconfiguration.WrongHostName)]
    [InlineData(Misconfiguration.Plaintext)]
    public async Task Misconfigured_NeitherServiceBecomesReady_IngestCountsFailedWrites(Misconfiguration misconfiguration)
    {
        var (redis, environment) = misconfiguration switch
        {
            Misconfiguration.CaNotTrusted => (Tls, NotTrustingCa),
            Misconfiguration.WrongHostName => ($"127.0.0.1:{_server.Port},ssl=true,sslHost=redis.invalid", TrustingCa),
            _ => ($"127.0.0.1:{_server.Port}", TrustingCa),
        };
        // The query's start waits for its first connection attempt, which here never succeeds:
        // shorten that wait from the client's default 5 s.
        redis += ",connectTimeout=1000";
        var prefix = "presence:" + TestKeys.Prefix();
        var users = IngestTestHost.Users(1, 10);
        int udpPort = FreePort.Udp();
        var starting = StartIngest(redis, prefix, udpPort, environment);
        ServiceProcess started;
        try
        {
            started = await StartQuery(redis, prefix, environment);
        }
        catch
        {
            (await starting).Dispose(); // the ingest is not left running
            throw;
        }
        using var query = started;
        using var ingest = await starting;

        // The ingest tries, counts each failed write, holds the users and tries again: twice at least.
        Heartbeat(udpPort, users);
        await Eventually.Until(async () => await ingest.Metric("presence_store_writes_total{result=\"failed\"}") >= 2 * users.Length,
            "the ingest's writes, and their retry, counted as failed");

        // Neither becomes ready while it keeps trying.
        var window = Stopwatch.StartNew();
        while (window.Elapsed < s_neverReadyWindow)
        {
            Assert.Equal(503, await ingest.ReadyStatus());
            Assert.Equal(503, await query.ReadyStatus());
            await Task.Delay(100);
        }
        await Eventually.Equal(0, () => ingest.Metric("presence_store_writes_total{result=\"ok\"}"), "store writes ok");
        using var batch = await query.Client.GetAsync("/v1/presence?ids=1,2");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, batch.StatusCode);

        // The server itself is fine: over a correct TLS connection, nothing was written.
        using var mux = await Connect();
        var db = mux.GetDatabase();
        foreach (var user in users)
            Assert.False(await db.KeyExistsAsync(IngestTestHost.Key(prefix, user)));
    }
}
