using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Presence.Core;
using Presence.Integration.Tests.Ingest;
using Presence.Integration.Tests.Query;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.LastSeen;

/// <summary>
/// Issue 21's acceptance, on one redis-server and on a three-master Redis Cluster: a real ingester
/// finds a user's timeout and another's sign-out, and a real query service then answers each
/// offline with <c>lastSeenMs</c> its last receive time (whole seconds); erased, <c>null</c>.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class LastSeenEndToEndTests(RedisFixture redis, RedisClusterFixture cluster) : IClassFixture<RedisClusterFixture>, IDisposable
{
    private const int TtlSeconds = 5; // the online read below must come before the key lapses, on a loaded machine too

    /// <summary>Waiting only: how long a transition may take on a loaded machine.</summary>
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(60);

    private readonly string _adminKeys = Path.Combine(Path.GetTempPath(), $"presence-admin-keys-{Guid.NewGuid():N}");

    public void Dispose() => File.Delete(_adminKeys);

    public static TheoryData<string> Stores => ["redis", "cluster"];

    [Theory]
    [MemberData(nameof(Stores))]
    public async Task TimeoutAndSignOut_AnsweredWithTheLastReceive_ErasedNull(string store)
    {
        string configuration = store == "cluster" ? cluster.Cluster.Configuration : redis.Server.Configuration;
        if (store == "cluster")
            cluster.Cluster.WaitHealthy();
        File.WriteAllText(_adminKeys, "admin-1\n");
        File.SetUnixFileMode(_adminKeys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var prefix = TestKeys.Prefix();
        using var mux = await ConnectionMultiplexer.ConnectAsync(configuration);
        var db = mux.GetDatabase();
        await using var ingest = await IngestTestHost.StartAsync(configuration, prefix, o => o.TtlSeconds = TtlSeconds);
        await using var query = await QueryHost.StartAsync(configuration, prefix, o => o.AdminKeys = _adminKeys);
        const ulong silent = 81, leaving = 82;

        ingest.Heartbeat([silent, leaving]);
        long received = await Eventually.Satisfy(async () => (long)await db.StringGetAsync(IngestTestHost.Key(prefix, silent)), v => v != 0, "the silent user's key", s_wait);
        long leavingReceived = await Eventually.Satisfy(async () => (long)await db.StringGetAsync(IngestTestHost.Key(prefix, leaving)), v => v != 0, "the leaving user's key", s_wait);
        var online = await Get(query, silent);
        Assert.True(online.GetProperty("online").GetBoolean(), online.ToString());
        Assert.Equal(received, online.GetProperty("lastSeenMs").GetInt64()); // online: the exact receive time
        ingest.Heartbeat([leaving], kind: RecordKind.Offline);

        // Silent past the ttl: offline, last seen its last heartbeat's receive time, to the second.
        var timedOut = await Eventually.Satisfy(() => Get(query, silent), u => HasLastSeenOffline(u), "the silent user offline with a last seen", s_wait);
        Assert.Equal(received / 1000 * 1000, timedOut.GetProperty("lastSeenMs").GetInt64());

        // Signed out: the sign-out's receive time.
        var signedOut = await Eventually.Satisfy(() => Get(query, leaving), u => HasLastSeenOffline(u), "the signed-out user offline with a last seen", s_wait);
        Assert.InRange(signedOut.GetProperty("lastSeenMs").GetInt64(), leavingReceived / 1000 * 1000, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());

        // Erased: null, and the other user keeps its own.
        using (var request = new HttpRequestMessage(HttpMethod.Delete, $"/v1/presence/{leaving}/last-seen"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "admin-1");
            using var erased = await query.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.NoContent, erased.StatusCode);
        }
        var batch = await QueryHost.Json(await query.Client.GetAsync($"/v1/presence?ids={silent},{leaving}"));
        Assert.Equal(received / 1000 * 1000, batch.GetProperty("users")[0].GetProperty("lastSeenMs").GetInt64());
        Assert.Equal(JsonValueKind.Null, batch.GetProperty("users")[1].GetProperty("lastSeenMs").ValueKind);
        Assert.Equal(0, batch.GetProperty("online").GetInt32());
    }

    /// <summary>The single answer for <paramref name="user"/>; the problem document when it is not a 200 (a waiter then reads on).</summary>
    private static async Task<JsonElement> Get(QueryHost query, ulong user)
    {
        using var response = await query.Client.GetAsync($"/v1/presence/{user}");
        return await QueryHost.Json(response);
    }

    private static bool HasLastSeenOffline(JsonElement user) =>
        user.TryGetProperty("online", out var online) && !online.GetBoolean()
        && user.TryGetProperty("lastSeenMs", out var seen) && seen.ValueKind == JsonValueKind.Number;
}
