using System.Net;
using System.Net.Http.Headers;
using Presence.Testing;

namespace Presence.Integration.Tests.Query;

/// <summary>The 401 and 429 rows of HTTP-API.md: <c>--api-keys</c> and <c>--rate-limit</c>.</summary>
[Collection(RedisCollection.Name)]
public sealed class QuerySecurityTests(RedisFixture redis) : IDisposable
{
    private readonly string _keyFile = Path.Combine(Path.GetTempPath(), $"presence-keys-{Guid.NewGuid():N}");

    public void Dispose() => File.Delete(_keyFile);

    private string KeyFile(params string[] lines)
    {
        File.WriteAllLines(_keyFile, lines);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(_keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return _keyFile;
    }

    [Fact]
    public async Task ApiKeys_NoOrWrongKey_401AndStoreNotAsked()
    {
        var file = KeyFile("# operators", "k-alpha-1", "", "k-beta-2");
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o => o.ApiKeys = file);
        long reads = CommandStats.Reads(redis.Server);

        foreach (var authorization in new[] { null, "Bearer k-alpha", "Bearer k-alpha-11", "Basic k-alpha-1", "Bearer # operators", "Bearer " })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/presence/1");
            if (authorization is not null)
                request.Headers.TryAddWithoutValidation("Authorization", authorization);
            using var response = await query.Client.SendAsync(request);

            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
            Assert.Equal("Bearer", response.Headers.WwwAuthenticate.ToString());
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(reads, CommandStats.Reads(redis.Server));
    }

    [Fact]
    public async Task ApiKeys_ValidKey_200_ProbesExempt()
    {
        var file = KeyFile("k-alpha-1", "k-beta-2");
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o => o.ApiKeys = file);

        foreach (var key in new[] { "k-alpha-1", "k-beta-2" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/presence?ids=1,2");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var response = await query.Client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
        Assert.Equal(HttpStatusCode.OK, (await query.Client.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await query.Client.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task RateLimit_OverLimit_429WithRetryAfter_ProbesNotLimited()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o => o.RateLimit = 3);

        // The bucket holds 3 requests and refills once a second: 10 back to back cannot all pass.
        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage? limited = null;
        for (int i = 0; i < 10; i++)
        {
            var response = await query.Client.GetAsync("/v1/presence/1");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
                limited ??= response;
            else
                response.Dispose();
        }

        Assert.Contains(HttpStatusCode.OK, statuses);
        Assert.NotNull(limited);
        using (limited)
        {
            // The rule (QueryApp): the bucket's wait for a token, rounded up to whole seconds, at least 1: one refill period here.
            Assert.True(limited.Headers.RetryAfter?.Delta == TimeSpan.FromSeconds(1), $"Retry-After: {limited.Headers.RetryAfter}");
            var problem = await QueryHost.Json(limited);
            Assert.Equal("urn:presence:problem:rate-limited", problem.GetProperty("type").GetString());
            Assert.EndsWith("retry after 1 s", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        }
        for (int i = 0; i < 10; i++)
            Assert.Equal(HttpStatusCode.OK, (await query.Client.GetAsync("/healthz")).StatusCode);
    }
}
