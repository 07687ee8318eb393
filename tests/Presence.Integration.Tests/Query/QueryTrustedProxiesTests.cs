using System.Net;
using Presence.Testing;

namespace Presence.Integration.Tests.Query;

/// <summary>
/// <c>--rate-limit</c> behind a reverse proxy: every request comes from the proxy's address, so
/// only with <c>--trusted-proxies</c> does each client get a bucket of its own, and only a
/// trusted proxy's X-Forwarded-For is believed.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class QueryTrustedProxiesTests(RedisFixture redis)
{
    private static async Task<HttpStatusCode> Get(QueryHost query, string forwardedFor)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/presence/1");
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
        using var response = await query.Client.SendAsync(request);
        return response.StatusCode;
    }

    /// <summary>Requests as <paramref name="client"/> until one is refused (the bucket holds 2 and refills once a second).</summary>
    private static async Task ExhaustAsync(QueryHost query, string client)
    {
        for (int i = 0; i < 20; i++)
        {
            if (await Get(query, client) == HttpStatusCode.TooManyRequests)
                return;
        }
        Assert.Fail($"{client} was never limited");
    }

    [Fact]
    public async Task RateLimit_FromTrustedProxy_EachForwardedClientHasItsOwnBucket()
    {
        // The test's requests come from 127.0.0.1: here, the proxy.
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o =>
        {
            o.RateLimit = 2;
            o.TrustedProxies = "127.0.0.1";
        });

        await ExhaustAsync(query, "203.0.113.5");

        // Another client behind the same proxy starts with a full bucket: its first request passes.
        Assert.Equal(HttpStatusCode.OK, await Get(query, "203.0.113.6"));
        // A chain: the right-most address not of a trusted proxy is the client.
        Assert.Equal(HttpStatusCode.OK, await Get(query, "198.51.100.9, 127.0.0.1"));
    }

    [Theory]
    [InlineData(null)]           // no --trusted-proxies: the header is never read
    [InlineData("192.0.2.1")]    // a proxy that is not the one connecting: its header is not believed
    public async Task RateLimit_HeaderFromUntrustedPeer_Ignored_OneBucketForAll(string? trusted)
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o =>
        {
            o.RateLimit = 2;
            o.TrustedProxies = trusted;
        });

        // A client claiming a fresh address shares 127.0.0.1's empty bucket. The bucket refills
        // once a second, so a refill may fall between the two requests; three tries in a row
        // cannot all be that.
        var statuses = new List<HttpStatusCode>();
        for (int attempt = 0; attempt < 3; attempt++)
        {
            await ExhaustAsync(query, $"203.0.113.{10 + attempt}");
            statuses.Add(await Get(query, $"203.0.113.{100 + attempt}"));
        }
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
    }
}
