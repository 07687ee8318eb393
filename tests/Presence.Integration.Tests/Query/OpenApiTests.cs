using System.Text.Json;
using Presence.Query.Internal.Http;
using Presence.Testing;

namespace Presence.Integration.Tests.Query;

/// <summary>
/// /openapi/v1.json: every route the service maps (read from its endpoint data source, so a route
/// added later is checked without touching this test) is in the document, with the problem+json
/// errors and the id-as-string rule.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class OpenApiTests(RedisFixture redis)
{
    [Fact]
    public async Task Document_ListsEveryMappedRoute()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());

        var document = await Document(query);

        var paths = document.GetProperty("paths");
        var routes = query.Routes;
        Assert.True(routes.Count >= 6, $"only {routes.Count} routes mapped");
        foreach (var (method, path) in routes)
        {
            Assert.True(paths.TryGetProperty(path, out var item), $"{path} is missing from the document");
            Assert.True(item.TryGetProperty(method.ToLowerInvariant(), out var operation), $"{method} {path} is missing from the document");
            Assert.True(operation.GetProperty("responses").EnumerateObject().Any(), $"{method} {path} lists no answers");
        }
        Assert.Equal(routes.Count, paths.EnumerateObject().Sum(p => p.Value.EnumerateObject().Count()));
    }

    [Fact]
    public async Task Document_DescribesProblemsAndIdsAsStrings()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());

        var document = await Document(query);

        Assert.StartsWith("3.", document.GetProperty("openapi").GetString());
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var id = schemas.GetProperty("UserId");
        Assert.Equal("string", id.GetProperty("type").GetString());
        Assert.Matches(id.GetProperty("pattern").GetString()!, "18446744073709551615");
        Assert.DoesNotMatch(id.GetProperty("pattern").GetString()!, "0");
        Assert.Equal("#/components/schemas/UserId", schemas.GetProperty("UserPresence").GetProperty("properties").GetProperty("id").GetProperty("$ref").GetString());
        Assert.Contains("type", schemas.GetProperty("Problem").GetProperty("required").EnumerateArray().Select(e => e.GetString()));

        var batch = document.GetProperty("paths").GetProperty("/v1/presence/query").GetProperty("post");
        var badRequest = batch.GetProperty("responses").GetProperty("400").GetProperty("content").GetProperty("application/problem+json");
        Assert.Equal("#/components/schemas/Problem", badRequest.GetProperty("schema").GetProperty("$ref").GetString());
        Assert.Equal("#/components/schemas/BatchAnswer",
            batch.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        Assert.True(batch.GetProperty("responses").GetProperty("429").GetProperty("headers").TryGetProperty("Retry-After", out _));
        Assert.Contains("decimal string", document.GetProperty("info").GetProperty("description").GetString());

        // Every problem type the service answers is named in the document.
        var types = schemas.GetProperty("Problem").GetProperty("properties").GetProperty("type").GetProperty("description").GetString()!;
        var problems = typeof(Problem).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(f => ((Problem)f.GetValue(null)!).Type["urn:presence:problem:".Length..]);
        Assert.All(problems, name => Assert.Matches($@"\b{name}\b", types));
        var groupPage = document.GetProperty("paths").GetProperty("/v1/groups/{name}/presence").GetProperty("get");
        Assert.Equal("#/components/schemas/GroupPresence",
            groupPage.GetProperty("responses").GetProperty("200").GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        Assert.True(groupPage.GetProperty("responses").TryGetProperty("404", out _));
    }

    [Fact]
    public async Task Document_WithApiKeys_OpenToAnonymous_DeclaresBearerOnV1Routes()
    {
        var keys = Path.Combine(Path.GetTempPath(), $"presence-openapi-keys-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(keys, "k-0123456789abcdef0123456789abcdef\n");
        File.SetUnixFileMode(keys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o => o.ApiKeys = keys);

            var document = await Document(query);

            Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
            var one = document.GetProperty("paths").GetProperty("/v1/presence/{id}").GetProperty("get");
            Assert.True(one.GetProperty("security")[0].TryGetProperty("bearer", out _));
            Assert.True(one.GetProperty("responses").TryGetProperty("401", out _));
            Assert.False(document.GetProperty("paths").GetProperty("/healthz").GetProperty("get").TryGetProperty("security", out _));
        }
        finally
        {
            File.Delete(keys);
        }
    }

    private static async Task<JsonElement> Document(QueryHost query)
    {
        using var response = await query.Client.GetAsync("/openapi/v1.json");
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return await QueryHost.Json(response);
    }
}
