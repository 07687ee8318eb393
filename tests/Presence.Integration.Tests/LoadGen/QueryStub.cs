using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Presence.Integration.Tests.LoadGen;

/// <summary>
/// A stand-in for the query service's <c>POST /v1/presence/query</c>, on Kestrel at 127.0.0.1
/// port 0, answering the documented JSON (HTTP-API.md) from a rule the test sets. It checks the
/// request side of the contract as the real service would (at most 1000 ids, ids as numbers or
/// decimal strings). Only the verify client is under test: no store is involved.
/// </summary>
internal sealed class QueryStub : IAsyncDisposable
{
    public const int MaxBatch = 1000;

    private readonly WebApplication _app;
    private int _requests;
    private int _largestBatch;

    private QueryStub(WebApplication app) => _app = app;

    /// <summary>Whether the stub reports a user online.</summary>
    public Func<ulong, bool> IsOnline { get; set; } = _ => true;

    /// <summary>When set, every request is answered with this status and an RFC 9457 problem.</summary>
    public HttpStatusCode? FailWith { get; set; }

    public string Url { get; private set; } = "";

    public int Requests => Volatile.Read(ref _requests);

    public int LargestBatch => Volatile.Read(ref _largestBatch);

    public static async Task<QueryStub> Start()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var stub = new QueryStub(app);
        app.MapPost("/v1/presence/query", (Func<HttpContext, Task<IResult>>)stub.Query);
        await app.StartAsync();
        stub.Url = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return stub;
    }

    private async Task<IResult> Query(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        if (FailWith is { } status)
            return Results.Problem(title: "store unavailable", statusCode: (int)status);
        using var body = await JsonDocument.ParseAsync(context.Request.Body);
        var ids = body.RootElement.GetProperty("ids").EnumerateArray()
            .Select(e => e.ValueKind == JsonValueKind.String ? ulong.Parse(e.GetString()!, CultureInfo.InvariantCulture) : e.GetUInt64())
            .ToList();
        if (ids.Count is 0 or > MaxBatch)
            return Results.Problem(title: $"between 1 and {MaxBatch} ids", statusCode: 400);
        int largest;
        do
            largest = _largestBatch;
        while (ids.Count > largest && Interlocked.CompareExchange(ref _largestBatch, ids.Count, largest) != largest);

        var users = new JsonArray();
        int online = 0;
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (ulong id in ids)
        {
            bool on = IsOnline(id);
            online += on ? 1 : 0;
            users.Add(new JsonObject
            {
                ["id"] = id.ToString(CultureInfo.InvariantCulture),
                ["online"] = on,
                ["lastSeenMs"] = on ? now : null,
            });
        }
        return Results.Text(new JsonObject { ["users"] = users, ["online"] = online }.ToJsonString(), "application/json");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
