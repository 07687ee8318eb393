using System.Net;
using Presence.Core;
using Presence.Core.LastSeen;
using Presence.Integration.Tests.Ingest;
using Presence.Integration.Tests.Query;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Security;

/// <summary>
/// The ACLs of SECURITY.md against a real redis-server whose <c>default</c> user is off: each
/// service does its work as its own user, leaves nothing in <c>ACL LOG</c> (so the connect-time
/// commands listed there are all it needs), and is refused what it must never do.
/// </summary>
[Collection(RedisCollection.Name)] // joins the collection only to run apart from the other classes; the servers are its own
public sealed class RedisAclTests : IDisposable
{
    private const string AdminUser = "admin";

    // The rules of docs/SECURITY.md, word for word.
    private const string IngestRules =
        "resetchannels &{presence:*events}:wake ~presence:* -@all +set +psetex +get +del +unlink +publish +ping +echo +info +client|setname +client|id +cluster|nodes +quit (~presence:*seen:* +eval +evalsha +script|load +hget +hset +hdel +hgetall +expire) " +
        "(~{presence:*events}:* +eval +evalsha +script|load +get +set +hget +hset +hsetnx +hdel +hgetall +hmget +hlen +rpush +lrange +ltrim +zadd +zrem +zpopmin +zscore +zcard +zremrangebyscore)";

    private const string QueryRules =
        "resetchannels &{presence:*events}:wake ~presence:* -@all +get +mget +eval +evalsha +script|load +subscribe +unsubscribe +ping +echo +info +client|setname +client|id +cluster|nodes +quit (~presence:*seen:* +hget +hdel) " +
        "(~{presence:*events}:* +eval +evalsha +script|load +get +set +llen +lrange +hget +hmget +hlen)";

    // Turns off what StackExchange.Redis would otherwise try at connect and be refused (SECURITY.md).
    private const string QuietConnect = "tiebreaker=,configChannel=,$CONFIG=";

    private readonly string _adminPassword = Guid.NewGuid().ToString("N");
    private readonly string _ingestPassword = Guid.NewGuid().ToString("N");
    private readonly string _queryPassword = Guid.NewGuid().ToString("N");
    private readonly RedisServer _server;

    public RedisAclTests()
    {
        var acl = $"""
            user default off
            user {AdminUser} on >{_adminPassword} ~* &* +@all
            user presence-ingest on >{_ingestPassword} {IngestRules}
            user presence-query on >{_queryPassword} {QueryRules}

            """;
        _server = RedisServer.StartWithAcl(acl, (AdminUser, _adminPassword));
    }

    public void Dispose() => _server.Dispose();

    private string As(string user, string password, bool quiet = true) =>
        $"127.0.0.1:{_server.Port},user={user},password={password}" + (quiet ? "," + QuietConnect : "");

    private Task<ConnectionMultiplexer> Admin() =>
        ConnectionMultiplexer.ConnectAsync($"{As(AdminUser, _adminPassword)},connectTimeout=2000");

    /// <summary>Denials ACL LOG recorded for <paramref name="user"/>, as "reason object" lines.</summary>
    private static async Task<string[]> Denials(IServer server, string user)
    {
        var entries = (RedisResult[])(await server.ExecuteAsync("ACL", "LOG"))!;
        return entries
            .Select(e => ((RedisResult[])e!).Chunk(2).ToDictionary(p => (string)p[0]!, p => p[1].ToString()))
            .Where(e => e["username"] == user)
            .Select(e => $"{e["reason"]} {e["object"]}")
            .ToArray();
    }

    [Fact]
    public void DefaultUser_Unauthenticated_IsRefused()
    {
        Assert.StartsWith("-NOAUTH", _server.CommandUnauthenticated("PING"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_AsIngestUser_WritesAndDeletes_NoDenials_FlushAllRefused()
    {
        var prefix = "presence:" + TestKeys.Prefix();
        var users = IngestTestHost.Users(1, 50);
        await using (var ingest = await IngestTestHost.StartAsync(As("presence-ingest", _ingestPassword), prefix))
        {
            using var admin = await Admin();
            var db = admin.GetDatabase();
            ingest.Heartbeat(users, perFrame: 10);
            await Eventually.Until(() => IngestTestHost.AllExist(db, prefix, users), "every heartbeat written as presence-ingest");

            // Offline records delete (UNLINK on this server).
            ingest.Heartbeat(users[..10], perFrame: 10, RecordKind.Offline);
            await Eventually.Until(async () => !await db.KeyExistsAsync(IngestTestHost.Key(prefix, users[0])), "offline user deleted");
            Assert.True(await IngestTestHost.AllExist(db, prefix, users[10..]));
            // The events log: online and sign-out lines appended by script, as presence-ingest.
            await Eventually.Until(() => ingest.Metrics.Transitions(Presence.Core.Events.TransitionKind.Signout).Value == 10
                && ingest.Metrics.EventLogLastSeq.Value == 60, "50 online and 10 sign-out lines appended");
        }
        // Stopping handed the watched users over (ZADD) after everything else: look at the log only now.
        using (var admin = await Admin())
            Assert.Empty(await Denials(admin.GetServer(_server.EndPoint), "presence-ingest"));

        Assert.StartsWith("-NOPERM", _server.CommandAs("presence-ingest", _ingestPassword, "FLUSHALL"), StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", _server.CommandAs("presence-ingest", _ingestPassword, "GET", "other:1"), StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", _server.CommandAs("presence-ingest", _ingestPassword, "HSET", prefix + "1", "a", "1"), StringComparison.Ordinal); // script commands only on the events log
        Assert.StartsWith("-NOPERM", _server.CommandAs("presence-ingest", _ingestPassword, "SET", "other:1", "1"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_AsQueryUser_AnswersBatch_NoDenials_WritesRefused()
    {
        var prefix = "presence:" + TestKeys.Prefix();
        using var admin = await Admin();
        var db = admin.GetDatabase();
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        await db.StringSetAsync(prefix + "7", now, TimeSpan.FromMinutes(1));
        await db.StringSetAsync(prefix + "8", now, TimeSpan.FromMinutes(1));
        long seenSeconds = now / 1000 - 60;
        await db.HashSetAsync(new LastSeenKeys(prefix).KeyOf(9), LastSeenKeys.Field(9), seenSeconds); // 9 went offline a minute ago

        await using (var query = await QueryHost.StartAsync(As("presence-query", _queryPassword), prefix))
        {
            await Eventually.Until(async () => (await query.Client.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "query ready");
            using var response = await query.PostJson("""{"ids":[7,8,9]}""");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await QueryHost.Json(response);
            Assert.Equal(2, body.GetProperty("online").GetInt32());
            var online = body.GetProperty("users").EnumerateArray().ToDictionary(u => u.GetProperty("id").GetString()!, u => u.GetProperty("online").GetBoolean());
            Assert.True(online["7"]);
            Assert.True(online["8"]);
            Assert.False(online["9"]);
            var nine = body.GetProperty("users").EnumerateArray().Single(u => u.GetProperty("id").GetString() == "9");
            Assert.Equal(seenSeconds * 1000, nine.GetProperty("lastSeenMs").GetInt64()); // read by the presence script as presence-query
            using var single = await query.Client.GetAsync("/v1/presence/7");
            Assert.Equal(HttpStatusCode.OK, single.StatusCode);
            await using (var stream = await Events.SseClient.OpenAsync(query.Client.BaseAddress!, "/v1/presence/events?ids=7,9"))
                Assert.Equal("snapshot", (await stream.NextAsync("the events snapshot, read by script as presence-query")).Type);

            Assert.Empty(await Denials(admin.GetServer(_server.EndPoint), "presence-query"));
        }

        Assert.StartsWith("-NOPERM", _server.CommandAs("presence-query", _queryPassword, "FLUSHALL"), StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", _server.CommandAs("presence-query", _queryPassword, "SET", prefix + "7", "1"), StringComparison.Ordinal);
        Assert.StartsWith("-NOPERM", _server.CommandAs("presence-query", _queryPassword, "DEL", prefix + "7"), StringComparison.Ordinal);
        Assert.True(await db.KeyExistsAsync(prefix + "7"));
    }

    [Fact]
    public async Task Services_WithoutQuietConnect_StillWork_OnlyOptionalCommandsDenied()
    {
        // SECURITY.md: without the QuietConnect options the services work the same, and ACL LOG
        // records only the optional connect-time commands: CONFIG GET, SUBSCRIBE (a channel denial for
        // the query user, who may subscribe to the events log's wake channel only; a command denial
        // for the ingest user), and the tie-breaker GET (a key denial).
        var prefix = "presence:" + TestKeys.Prefix();
        using var admin = await Admin();
        var db = admin.GetDatabase();
        await using (var ingest = await IngestTestHost.StartAsync(As("presence-ingest", _ingestPassword, quiet: false), prefix))
        {
            var users = IngestTestHost.Users(1, 5);
            ingest.Heartbeat(users, perFrame: 5);
            await Eventually.Until(() => IngestTestHost.AllExist(db, prefix, users), "heartbeats written without quiet connect");
        }
        await using (var query = await QueryHost.StartAsync(As("presence-query", _queryPassword, quiet: false), prefix))
        {
            await Eventually.Until(async () => (await query.Client.GetAsync("/readyz")).StatusCode == HttpStatusCode.OK, "query ready");
            var body = await QueryHost.Json(await query.PostJson("""{"ids":[1,2,99]}"""));
            Assert.Equal(2, body.GetProperty("online").GetInt32());
        }
        var server = admin.GetServer(_server.EndPoint);
        var denied = (await Denials(server, "presence-ingest")).Concat(await Denials(server, "presence-query")).Distinct().Order().ToArray();
        Assert.All(denied, d => Assert.Contains(d, new[] { "command config|get", "command subscribe", "channel __Booksleeve_MasterChanged", "command get", "key __Booksleeve_TieBreak" }));
    }
}
