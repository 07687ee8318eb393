using System.Net;
using Microsoft.AspNetCore.Http;
using Presence.Client;
using Presence.Core;
using Presence.Integration.Tests.Query;
using Presence.Testing;

namespace Presence.Integration.Tests.Clients;

/// <summary>
/// Presence.Client: batch queries and the events stream against the real query service (users made
/// online by HeartbeatClient, signed, through a real ingest in --require-signed mode), its error
/// model, and the stream's edge cases (a drop, a 503 before the resume, silence, multi-line data)
/// against a real SSE server.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class DotNetClientTests(RedisFixture redis)
{
    [Fact]
    public async Task GetAsync_SignedHeartbeats_AnsweredInRequestOrderAcrossBatches()
    {
        await using var services = await SignedServices.StartAsync(redis.Server.Configuration);
        ulong[] users = [15_000_001, 15_000_002, 9_007_199_254_740_993, ulong.MaxValue];
        foreach (var user in users)
        {
            using var device = new HeartbeatClient(user, Signing.DeriveDeviceKey(services.MasterKey, user), SignedServices.KeyId);
            device.Send(services.Ingest.Host.UdpEndPoint);
        }
        using var client = new PresenceClient(services.QueryUrl, new PresenceClientOptions { MaxBatch = 2 });
        ulong[] asked = [ulong.MaxValue, 15_000_003, 15_000_001, 9_007_199_254_740_993, ulong.MaxValue, 15_000_002];

        await Eventually.Until(async () => (await client.GetAsync(users)).All(u => u.Online), "four signed users online");
        var answer = await client.GetAsync(asked);

        Assert.Equal(asked, answer.Select(u => u.Id));
        Assert.Equal([true, false, true, true, true, true], answer.Select(u => u.Online));
        Assert.Null(answer[1].LastSeenMs);
        Assert.InRange(answer[0].LastSeenMs!.Value, DateTimeOffset.UtcNow.AddMinutes(-1).ToUnixTimeMilliseconds(), DateTimeOffset.UtcNow.AddMinutes(1).ToUnixTimeMilliseconds());
        Assert.Equal(ulong.MaxValue, (await client.GetAsync(ulong.MaxValue)).Id);
        Assert.True(await client.IsReadyAsync());
    }

    [Fact]
    public async Task CountAsync_GetAsyncLastSeen_EraseLastSeenAsync_AgainstRealServices()
    {
        var prefix = TestKeys.Prefix();
        var adminKeys = Path.Combine(Path.GetTempPath(), $"presence-client-admin-keys-{Guid.NewGuid():N}");
        File.WriteAllText(adminKeys, "admin-key-1\n");
        File.SetUnixFileMode(adminKeys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            await using var ingest = await Presence.Integration.Tests.Ingest.IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.TtlSeconds = 30);
            await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, o => o.AdminKeys = adminKeys);
            using var client = new PresenceClient(query.Client.BaseAddress!);
            var wait = TimeSpan.FromSeconds(60);

            var noLog = await Assert.ThrowsAsync<PresenceApiException>(() => client.CountAsync());
            Assert.Equal(PresenceProblemTypes.EventsOff, noLog.Type); // nothing appended yet

            ingest.Heartbeat([15_200_001, 15_200_002, 15_200_003]);
            await Eventually.Until(async () => (await CountOrNone(client))?.Online == 3, "three users counted online (503 events-off until the first append)", wait);
            ingest.Heartbeat([15_200_002], kind: RecordKind.Offline);
            var two = await Eventually.Satisfy(() => client.CountAsync(), c => c.Online == 2, "the sign-out counted", wait);
            Assert.True(two.AtMs > 0);
            var gone = await Eventually.Satisfy(() => client.GetAsync(15_200_002), u => u.LastSeenMs is not null, "the signed-out user's last seen", wait);
            Assert.False(gone.Online);
            Assert.Equal(0, gone.LastSeenMs!.Value % 1000);

            var refused = await Assert.ThrowsAsync<PresenceApiException>(() => client.EraseLastSeenAsync(15_200_002, "not-an-admin-key"));
            Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
            await client.EraseLastSeenAsync(15_200_002, "admin-key-1");
            Assert.Equal(new UserPresence(15_200_002, false, null), await client.GetAsync(15_200_002));
        }
        finally
        {
            File.Delete(adminKeys);
        }
    }

    private static async Task<OnlineCount?> CountOrNone(PresenceClient client)
    {
        try
        {
            return await client.CountAsync();
        }
        catch (PresenceApiException e) when (e.Type == PresenceProblemTypes.EventsOff)
        {
            return null;
        }
    }

    [Fact]
    public async Task GetAsync_OverTheServiceLimit_ThrowsProblemSayingWhatWasWrong()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());
        using var client = new PresenceClient(query.Client.BaseAddress!, new PresenceClientOptions { MaxBatch = 5000 });

        var e = await Assert.ThrowsAsync<PresenceApiException>(() => client.GetAsync([.. Enumerable.Range(1, 1001).Select(i => (ulong)i)]));

        Assert.Equal(HttpStatusCode.BadRequest, e.Status);
        Assert.Equal(PresenceProblemTypes.TooManyIds, e.Type);
        Assert.Contains("at most 1000 ids", e.Message);
        Assert.Contains("400", e.Message);
    }

    [Fact]
    public async Task GetAsync_WithoutOrWithApiKey_UnauthorizedProblemThenAnswer()
    {
        var keys = Path.Combine(Path.GetTempPath(), $"presence-client-api-keys-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(keys, "client-test-key-0123456789abcdef\n");
        File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o => o.ApiKeys = keys);
            using var anonymous = new PresenceClient(query.Client.BaseAddress!);
            using var keyed = new PresenceClient(query.Client.BaseAddress!, new PresenceClientOptions { ApiKey = "client-test-key-0123456789abcdef" });

            var e = await Assert.ThrowsAsync<PresenceApiException>(() => anonymous.GetAsync(1));

            Assert.Equal(HttpStatusCode.Unauthorized, e.Status);
            Assert.Equal(PresenceProblemTypes.Unauthorized, e.Type);
            Assert.False((await keyed.GetAsync(1)).Online);
        }
        finally
        {
            File.Delete(keys);
        }
    }

    [Fact]
    public async Task GetAsync_NothingListening_ThrowsCannotReach()
    {
        using var client = new PresenceClient(new Uri($"http://127.0.0.1:{FreePort.Tcp()}"));

        var e = await Assert.ThrowsAsync<PresenceException>(() => client.GetAsync([1UL]));

        Assert.IsNotType<PresenceApiException>(e);
        Assert.Contains("cannot reach the query service at http://127.0.0.1:", e.Message);
    }

    [Fact]
    public async Task WatchAsync_RealQueryService_SnapshotOnlineSignOut_ThenResumeReplaysFromLastEventId()
    {
        await using var services = await SignedServices.StartAsync(redis.Server.Configuration);
        const ulong user = 15_100_001;
        using var device = new HeartbeatClient(user, Signing.DeriveDeviceKey(services.MasterKey, user), SignedServices.KeyId);
        using var client = new PresenceClient(services.QueryUrl);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));

        var events = new List<PresenceEvent>();
        await foreach (var e in client.WatchAsync([user, 15_100_002], cancel: deadline.Token))
        {
            events.Add(e);
            if (e is PresenceSnapshot)
                device.Send(services.Ingest.Host.UdpEndPoint);
            else if (e is UserOnline)
                device.Send(services.Ingest.Host.UdpEndPoint, RecordKind.Offline);
            else
                break;
        }

        var snapshot = Assert.IsType<PresenceSnapshot>(events[0]);
        Assert.Equal([new UserPresence(user, false, null), new UserPresence(15_100_002, false, null)], snapshot.Users);
        var online = Assert.IsType<UserOnline>(events[1]);
        var offline = Assert.IsType<UserOffline>(events[2]);
        Assert.Equal((user, user, OfflineReason.SignOut), (online.UserId, offline.UserId, offline.Reason));
        Assert.True(offline.At >= online.At);
        Assert.NotNull(online.EventId);

        // Resuming after the online event gives the sign-out again, not a snapshot.
        await using var resumed = client.WatchAsync([user, 15_100_002], online.EventId, deadline.Token).GetAsyncEnumerator();
        Assert.True(await resumed.MoveNextAsync());
        Assert.Equal(offline, resumed.Current);
    }

    [Fact]
    public async Task WatchAsync_Debounce_RealQueryService_AFlapShorterThanItNeverArrives_Counted()
    {
        await using var services = await SignedServices.StartAsync(redis.Server.Configuration);
        const ulong user = 15_100_011, marker = 15_100_012;
        using var device = new HeartbeatClient(user, Signing.DeriveDeviceKey(services.MasterKey, user), SignedServices.KeyId);
        using var markerDevice = new HeartbeatClient(marker, Signing.DeriveDeviceKey(services.MasterKey, marker), SignedServices.KeyId);
        using var client = new PresenceClient(services.QueryUrl);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        device.Send(services.Ingest.Host.UdpEndPoint);
        await Eventually.Until(async () => (await client.GetAsync(user)).Online, "the device online");

        var events = new List<PresenceEvent>();
        await foreach (var e in client.WatchAsync([user, marker], debounce: TimeSpan.FromSeconds(20), cancel: deadline.Token))
        {
            events.Add(e);
            if (e is not PresenceSnapshot)
                break;
            // A blink: signed out (its key gone), back at once, then the marker.
            device.Send(services.Ingest.Host.UdpEndPoint, RecordKind.Offline);
            await Eventually.Until(async () => !(await client.GetAsync(user)).Online, "the device offline");
            device.Send(services.Ingest.Host.UdpEndPoint);
            await Eventually.Until(async () => (await client.GetAsync(user)).Online, "the device back");
            markerDevice.Send(services.Ingest.Host.UdpEndPoint);
        }

        Assert.Equal([new UserPresence(user, true, ((PresenceSnapshot)events[0]).Users[0].LastSeenMs), new UserPresence(marker, false, null)],
            ((PresenceSnapshot)events[0]).Users);
        var first = Assert.IsType<UserOnline>(events[1]); // the blink was not sent: the marker comes first
        Assert.Equal(marker, first.UserId);
        await Eventually.Until(async () => await services.Query.GaugeAsync("presence_events_suppressed_total") == 2, "the blink counted as 2 events not sent");
    }

    [Fact]
    public async Task WatchAsync_RealSseServer_ParsesEvents_ResumesWithLastEventIdAfterADrop()
    {
        await using var server = await SseServer.StartAsync(
            SseServer.Stream("retry: 10\nevent: snapshot\ndata: {\"users\":[{\"id\":\"42\",\"online\":false,\"lastSeenMs\":null},"
                + "{\"id\":\"18446744073709551615\",\"online\":true,\"lastSeenMs\":1764270000123}],\"online\":1}\n\n: keepalive\n\n"
                + "id: 7\nevent: online\ndata: {\"id\":\"42\",\"at\":1764270001000}\n\n"
                + "id: 8\nevent: offline\ndata: {\"id\":\"18446744073709551615\",\ndata: \"at\":1764270031000,\"reason\":\"timeout\"}\n\n"
                + "event: something-newer\ndata: {}\n\n"),
            SseServer.Problem(503, PresenceProblemTypes.StoreUnavailable, "store away", retryAfter: 2),
            SseServer.Hold("id: 9\r\nevent: offline\r\ndata: {\"id\":\"42\",\"at\":1764270040000,\"reason\":\"signout\"}\r\n\r\n"));
        // The client's own first wait is short: only the server's Retry-After can make it wait 2 s.
        using var client = new PresenceClient(server.Url, new PresenceClientOptions { ReconnectDelay = TimeSpan.FromMilliseconds(50) });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var events = new List<PresenceEvent>();
        await foreach (var e in client.WatchAsync([42UL, ulong.MaxValue], cancel: deadline.Token))
        {
            events.Add(e);
            if (events.Count == 4)
                break;
        }

        var snapshot = Assert.IsType<PresenceSnapshot>(events[0]);
        Assert.Equal([new UserPresence(42, false, null), new UserPresence(ulong.MaxValue, true, 1764270000123)], snapshot.Users);
        Assert.Equal(1, snapshot.Online);
        Assert.Equal(new UserOnline("7", 42, 1764270001000), events[1]);
        Assert.Equal(new UserOffline("8", ulong.MaxValue, 1764270031000, OfflineReason.Timeout), events[2]);
        Assert.Equal(new UserOffline("9", 42, 1764270040000, OfflineReason.SignOut), events[3]);
        var requests = server.Requests.ToArray();
        Assert.Equal([null, "8", "8"], requests.Select(r => r.LastEventId));
        var arrivals = server.Arrivals.ToArray();
        Assert.True(arrivals[2] - arrivals[1] >= TimeSpan.FromSeconds(1.9), $"retried {(arrivals[2] - arrivals[1]).TotalSeconds:0.000} s after a 503 with Retry-After: 2");
        Assert.Equal("{\"ids\":[\"42\",\"18446744073709551615\"]}", requests[0].Body);
        Assert.All(requests, r => Assert.Equal("/v1/presence/events", r.PathAndQuery));
    }

    [Theory]
    [InlineData(5, "/v1/presence/events?debounce=5")]
    [InlineData(60, "/v1/presence/events?debounce=60")]
    [InlineData(0, "/v1/presence/events")]
    public async Task WatchAsync_Debounce_SentOnTheFirstConnectionAndOnEveryReconnect(int seconds, string pathAndQuery)
    {
        await using var server = await SseServer.StartAsync(
            SseServer.Stream("event: snapshot\ndata: {\"users\":[{\"id\":\"5\",\"online\":true,\"lastSeenMs\":1}],\"online\":1}\n\n"
                + "id: 1\nevent: offline\ndata: {\"id\":\"5\",\"at\":2,\"reason\":\"timeout\"}\n\n"),
            SseServer.Problem(503, PresenceProblemTypes.StoreUnavailable, "store away", retryAfter: 0),
            SseServer.Hold("id: 2\nevent: online\ndata: {\"id\":\"5\",\"at\":3}\n\n"));
        using var client = new PresenceClient(server.Url, new PresenceClientOptions { ReconnectDelay = TimeSpan.Zero });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var ids = new List<string?>();
        await foreach (var e in client.WatchAsync([5UL], debounce: TimeSpan.FromSeconds(seconds), cancel: deadline.Token))
        {
            ids.Add(e.EventId);
            if (ids.Count == 3)
                break;
        }

        // The first connection, the retry the 503 refused, and the resume: each asks for the same debounce.
        Assert.Equal([null, "1", "2"], ids);
        var requests = server.Requests.ToArray();
        Assert.Equal([null, "1", "1"], requests.Select(r => r.LastEventId));
        Assert.Equal([pathAndQuery, pathAndQuery, pathAndQuery], requests.Select(r => r.PathAndQuery));
    }

    [Theory]
    [InlineData(61_000)]
    [InlineData(-1_000)]
    [InlineData(1_500)]
    [InlineData(-1)]
    public async Task WatchAsync_DebounceNotWholeSecondsIn0To60_ThrowsBeforeAnyRequest(int milliseconds)
    {
        await using var server = await SseServer.StartAsync();
        using var client = new PresenceClient(server.Url);
        // Bounded: a client that sent the request anyway would be held by the server's open stream.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
        {
            await foreach (var _ in client.WatchAsync([1UL], debounce: TimeSpan.FromMilliseconds(milliseconds), cancel: deadline.Token))
            {
            }
        });

        Assert.Equal("debounce", e.ParamName);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task WatchAsync_ServiceAnswersBadDebounce_ThrowsItsProblem()
    {
        // A service that allows less than this client does still gets its say: a 400 throws, it is never retried.
        await using var server = await SseServer.StartAsync(SseServer.Problem(400, PresenceProblemTypes.BadDebounce, "debounce must be 0-30"));
        using var client = new PresenceClient(server.Url);

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var e = await Assert.ThrowsAsync<PresenceApiException>(async () =>
        {
            await foreach (var _ in client.WatchAsync([1UL], debounce: TimeSpan.FromSeconds(45), cancel: deadline.Token))
            {
            }
        });

        Assert.Equal(PresenceProblemTypes.BadDebounce, e.Type);
        Assert.Equal(["/v1/presence/events?debounce=45"], server.Requests.Select(r => r.PathAndQuery));
    }

    [Fact]
    public async Task WatchAsync_ProblemBeforeTheStream_Throws()
    {
        await using var server = await SseServer.StartAsync(SseServer.Problem(400, PresenceProblemTypes.TooManyIds, "at most 10000 ids"));
        using var client = new PresenceClient(server.Url);

        var e = await Assert.ThrowsAsync<PresenceApiException>(async () =>
        {
            await foreach (var _ in client.WatchAsync([1UL, 2UL]))
            {
            }
        });

        Assert.Equal(PresenceProblemTypes.TooManyIds, e.Type);
        Assert.Contains("at most 10000 ids", e.Message);
    }

    [Fact]
    public async Task WatchAsync_SilentPastReadTimeout_Reconnects()
    {
        // A stream that sends one event, then holds the connection without a byte: the client must not wait forever.
        await using var server = await SseServer.StartAsync(
            async context =>
            {
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync("id: 1\nevent: online\ndata: {\"id\":\"5\",\"at\":1}\n\n");
                await context.Response.Body.FlushAsync();
                await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(_ => { });
            },
            SseServer.Hold("id: 2\nevent: offline\ndata: {\"id\":\"5\",\"at\":2,\"reason\":\"signout\"}\n\n"));
        using var client = new PresenceClient(server.Url, new PresenceClientOptions { EventsReadTimeout = TimeSpan.FromSeconds(2), ReconnectDelay = TimeSpan.Zero });
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var ids = new List<string?>();
        await foreach (var e in client.WatchAsync([5UL], cancel: deadline.Token))
        {
            ids.Add(e.EventId);
            if (ids.Count == 2)
                break;
        }

        Assert.Equal(["1", "2"], ids);
        Assert.Equal([null, "1"], server.Requests.Select(r => r.LastEventId));
    }
}
