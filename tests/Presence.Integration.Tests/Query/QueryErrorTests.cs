using System.Net;
using System.Text;
using Presence.Testing;

namespace Presence.Integration.Tests.Query;

/// <summary>
/// Every row of HTTP-API.md's error table that a request can cause: an RFC 9457 problem with the
/// right status, and for a request refused before the store, no read reached redis-server.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class QueryErrorTests(RedisFixture redis)
{
    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("1.5")]
    [InlineData("+7")]
    [InlineData("18446744073709551616")]
    public async Task GetOne_BadId_400NamingIt(string id)
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());

        var problem = await Refused(query, () => query.Client.GetAsync($"/v1/presence/{Uri.EscapeDataString(id)}"), 400, "bad-id");

        Assert.Equal(id, problem.GetProperty("id").GetString());
        Assert.Contains(id, problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("1,2,x", "x", 2)]
    [InlineData("1,,2", "", 1)]
    [InlineData("1, 2", " 2", 1)]
    [InlineData("0", "0", 0)]
    public async Task GetMany_BadId_400NamingIt(string ids, string bad, int index)
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());

        var problem = await Refused(query, () => query.Client.GetAsync($"/v1/presence?ids={Uri.EscapeDataString(ids)}"), 400, "bad-id");

        Assert.Equal(bad, problem.GetProperty("id").GetString());
        Assert.Equal(index, problem.GetProperty("index").GetInt32());
    }

    [Theory]
    [InlineData("""{"ids":[1,0]}""", "0")]
    [InlineData("""{"ids":[1,-5]}""", "-5")]
    [InlineData("""{"ids":[1,2.5]}""", "2.5")]
    [InlineData("""{"ids":[1,1e3]}""", "1e3")]
    [InlineData("""{"ids":[1,18446744073709551616]}""", "18446744073709551616")]
    [InlineData("""{"ids":[1,"18446744073709551616"]}""", "18446744073709551616")]
    [InlineData("""{"ids":[1,"12a"]}""", "12a")]
    [InlineData("""{"ids":[1," 12"]}""", " 12")]
    [InlineData("""{"ids":[1,null]}""", "null")]
    [InlineData("""{"ids":[1,true]}""", "true")]
    [InlineData("""{"ids":[1,{"id":2}]}""", "{…}")]
    public async Task Post_BadId_400NamingIt(string json, string bad)
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());

        var problem = await Refused(query, () => query.PostJson(json), 400, "bad-id");

        Assert.Equal(bad, problem.GetProperty("id").GetString());
        Assert.Equal(1, problem.GetProperty("index").GetInt32());
    }

    [Fact]
    public async Task GetMany_TooManyIds_400AndStoreNotAsked()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o => o.MaxBatch = 5);

        await Refused(query, () => query.Client.GetAsync("/v1/presence?ids=1,2,3,4,5,6"), 400, "too-many-ids");
    }

    [Fact]
    public async Task Post_TooManyIds_400AndStoreNotAsked()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o => o.MaxBatch = 5);

        await Refused(query, () => query.PostJson("""{"ids":[1,2,3,4,5,"6"]}"""), 400, "too-many-ids");
    }

    [Fact]
    public async Task Post_DefaultLimit_1000Accepted1001Refused()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());
        string Body(int count) => $"{{\"ids\":[{string.Join(',', Enumerable.Range(1, count))}]}}";

        using var accepted = await query.PostJson(Body(1000));
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        await Refused(query, () => query.PostJson(Body(1001)), 400, "too-many-ids");
    }

    [Theory]
    [InlineData("/v1/presence")]
    [InlineData("/v1/presence?ids=")]
    [InlineData("/v1/presence?other=1")]
    public async Task GetMany_NoIds_400AndStoreNotAsked(string path)
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());

        await Refused(query, () => query.Client.GetAsync(path), 400, "no-ids");
    }

    [Theory]
    [InlineData("""{"ids":[]}""")]
    public async Task Post_NoIds_400AndStoreNotAsked(string json)
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());

        await Refused(query, () => query.PostJson(json), 400, "no-ids");
    }

    [Theory]
    [InlineData("")]
    [InlineData("{")]
    [InlineData("""{"ids":[1,2""")]
    [InlineData("""{"ids":[1,2]""")]
    [InlineData("""{"ids":[1,2]}}""")]
    [InlineData("""{"ids":[1,2]} x""")]
    [InlineData("""[1,2]""")]
    [InlineData("""{"ids":"1,2"}""")]
    [InlineData("""{"other":[1]}""")]
    [InlineData("""{"ids":[1],"ids":[2]}""")]
    [InlineData("""{'ids':[1]}""")]
    public async Task Post_MalformedJson_400AndStoreNotAsked(string json)
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());

        await Refused(query, () => query.PostJson(json), 400, "malformed-json");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("application/json; charset=iso-8859-1")]
    public async Task Post_WrongContentType_415AndStoreNotAsked(string contentType)
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());

        await Refused(query, () => query.PostJson("""{"ids":[1]}""", contentType), 415, "unsupported-media-type");
    }

    [Fact]
    public async Task Post_NoContentType_415()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());
        var content = new ByteArrayContent("""{"ids":[1]}"""u8.ToArray());

        await Refused(query, () => query.Client.PostAsync("/v1/presence/query", content), 415, "unsupported-media-type");
    }

    [Fact]
    public async Task Post_BodyOverLimit_413AndStoreNotAsked()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o => o.MaxBody = 1024);
        var json = $"{{\"ids\":[1],\"pad\":\"{new string('x', 1100)}\"}}";

        await Refused(query, () => query.PostJson(json), 413, "body-too-large");
    }

    [Fact]
    public async Task Post_ChunkedBodyOverLimit_413()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix(), o => o.MaxBody = 1024);
        var json = $"{{\"ids\":[1],\"pad\":\"{new string('x', 5000)}\"}}";
        // A stream of unknown length is sent chunked: no Content-Length to refuse it by up front.
        var content = new StreamContent(new NoLengthStream(Encoding.UTF8.GetBytes(json)));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");

        await Refused(query, () => query.Client.PostAsync("/v1/presence/query", content), 413, "body-too-large");
    }

    [Fact]
    public async Task Post_BodyAtDefaultLimit_Accepted()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());
        var head = """{"ids":[1],"pad":" """.TrimEnd();
        var json = head + new string('x', 64 * 1024 - head.Length - 2) + "\"}";
        Assert.Equal(64 * 1024, json.Length);

        using var response = await query.PostJson(json);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task UnknownPath_404Problem()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());

        await Refused(query, () => query.Client.GetAsync("/v2/presence/1"), 404, "not-found");
    }

    [Fact]
    public async Task WrongMethod_405Problem()
    {
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, TestKeys.Prefix());

        await Refused(query, () => query.Client.DeleteAsync("/v1/presence/1"), 405, "method-not-allowed");
    }

    /// <summary>
    /// Sends the request and checks it is refused with a problem of <paramref name="type"/> and no
    /// store read. The read count is taken before and after; the integration tests run one at a time.
    /// </summary>
    private async Task<System.Text.Json.JsonElement> Refused(QueryHost query, Func<Task<HttpResponseMessage>> send, int status, string type)
    {
        long readsBefore = CommandStats.Reads(redis.Server);
        using var response = await send();

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await QueryHost.Json(response);
        Assert.Equal($"urn:presence:problem:{type}", problem.GetProperty("type").GetString());
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("title").GetString()));
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        Assert.Equal(readsBefore, CommandStats.Reads(redis.Server));
        return problem;
    }

    /// <summary>A readable stream that does not tell its length.</summary>
    private sealed class NoLengthStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
