using Microsoft.AspNetCore.WebUtilities;
using Presence.Core;
using Presence.Integration.Tests.Ingest;
using Presence.Integration.Tests.Query;
using Presence.Query;
using Presence.Testing;
using PuppeteerSharp;

namespace Presence.Integration.Tests.Events;

/// <summary>
/// The web console (/ui) in a real browser: Debian's chromium, headless, driven by PuppeteerSharp
/// (scripts/test.sh installs the package when missing), against a real ingester and query node.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class ConsoleBrowserTests(RedisFixture redis) : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private const string Admin = "console-admin-1";
    private readonly string _adminKeys = Path.Combine(Path.GetTempPath(), $"presence-console-admin-keys-{Guid.NewGuid():N}");
    private readonly string _profile = Path.Combine(Path.GetTempPath(), $"presence-chromium-{Guid.NewGuid():N}");
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install chromium (scripts/test.sh does)");
        // The groups are written as an operator would, through the membership routes (a change then reaches the open streams at once).
        File.WriteAllText(_adminKeys, Admin + "\n");
        File.SetUnixFileMode(_adminKeys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        _browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            Headless = true,
            ExecutablePath = Chromium,
            UserDataDir = _profile,
            // As root in a container: no sandbox. No background traffic: this machine has no network.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
            Timeout = 60_000,
        });
    }

    public async Task DisposeAsync()
    {
        File.Delete(_adminKeys);
        await _browser.CloseAsync();
        await _browser.DisposeAsync();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Console_WatchedUserTurnsOnlineAndOffline_NoErrors_KeepsWorkingAcrossAServiceRestart()
    {
        var prefix = TestKeys.Prefix();
        int port = FreePort.Tcp();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix);
        var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, o => o.Http = $"127.0.0.1:{port}");
        try
        {
            await using var page = await _browser.NewPageAsync();
            var errors = new List<string>();
            page.Console += (_, e) =>
            {
                if (e.Message.Type == ConsoleType.Error && !IsCountOrReadinessUnavailable(e.Message))
                    lock (errors) errors.Add($"{e.Message.Text} ({e.Message.Location?.URL})");
            };
            var exceptions = new List<string>();
            page.PageError += (_, e) =>
            {
                lock (exceptions) exceptions.Add(e.Message);
            };

            var loaded = await page.GoToAsync($"http://127.0.0.1:{port}/ui", WaitUntilNavigation.Load);
            Assert.True(loaded.Ok, $"/ui answered {(int)loaded.Status}");
            await WaitForText(page, "#ready", "ready");

            await page.TypeAsync("#ids", "100-102");
            await page.ClickAsync("button[type=submit]");
            await WaitForText(page, "#stream", "live");
            await WaitForRow(page, 101, "offline");
            Assert.Equal("3", await Text(page, "#watched"));

            ingest.Heartbeat([101]);
            await WaitForRow(page, 101, "online");
            Assert.Equal("1", await Text(page, "#online"));
            ingest.Heartbeat([101], kind: RecordKind.Offline);
            await WaitForRow(page, 101, "offline");
            Assert.Contains("signout", await page.EvaluateExpressionAsync<string>("document.querySelector('tr[data-id=\"101\"] td.state').textContent"));
            Assert.Equal("3", await Text(page, "#events")); // snapshot, online, offline
            lock (errors)
                Assert.Empty(errors);

            // The service restarts on the same address: the page reconnects and resumes where it was
            // (with the last event id it had), so the new node sends it the missed event, not a snapshot.
            string lastId = await Text(page, "#lastid");
            await query.DisposeAsync();
            query = null!;
            await WaitForText(page, "#stream", "reconnecting…");
            ingest.Heartbeat([102]); // while no query node runs
            query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, o => o.Http = $"127.0.0.1:{port}");
            await WaitForRow(page, 102, "online", TimeSpan.FromSeconds(30));
            await WaitForText(page, "#stream", "live");
            Assert.Equal(0, await query.GaugeAsync("presence_events_sent_total{type=\"snapshot\"}")); // resumed, not started afresh
            Assert.Equal(1, await query.GaugeAsync("presence_events_sent_total{type=\"online\"}"));
            Assert.Equal("4", await Text(page, "#events")); // the three before, and the missed online event
            string resumedId = await Text(page, "#lastid");
            Assert.Equal(lastId[..lastId.LastIndexOf('-')], resumedId[..resumedId.LastIndexOf('-')]);
            Assert.True(long.Parse(resumedId[(resumedId.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture)
                > long.Parse(lastId[(lastId.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture), $"{lastId} then {resumedId}");
            // The row shows the event's time (a snapshot gives only the last-seen time).
            Assert.NotEqual("–", await page.EvaluateExpressionAsync<string>("document.querySelector('tr[data-id=\"102\"] td:nth-child(4)').textContent"));
            lock (exceptions)
                Assert.Empty(exceptions);
        }
        finally
        {
            if (query is not null)
                await query.DisposeAsync();
        }
    }

    /// <summary>
    /// Chromium logs every 5xx a fetch gets as a console error, even one the page handles. The page polls the online count
    /// (each second) and /readyz (every 3 s) and shows a 503 from either (the count's "–" with the answer as its title, the
    /// pill "not ready"): here the count answers 503 until the ingester appends the log's first transition
    /// (HTTP-API.md, `events-off`), which a loaded machine reaches only after the page's first poll. Any other error counts.
    /// </summary>
    private static bool IsCountOrReadinessUnavailable(ConsoleMessage message) =>
        message.Text.Contains("status of 503", StringComparison.Ordinal)
        && message.Location?.URL is { } url
        && (url.EndsWith("/v1/presence/count", StringComparison.Ordinal) || url.EndsWith("/readyz", StringComparison.Ordinal));

    [Fact]
    public async Task Console_WatchListFromTheAddress_OnlineCountAndChartLive_NewListBackInTheAddress()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix);
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix);
        var (page, exceptions) = await OpenAsync(query, "ui?ids=300-302");
        await using var _ = page;

        // Watching from the address alone, no click.
        await WaitForText(page, "#stream", "live");
        Assert.Equal("3", await Text(page, "#watched"));
        Assert.Equal("300-302", await page.EvaluateExpressionAsync<string>("document.querySelector('#ids').value"));
        Assert.Equal("–", await Text(page, "#count")); // no events log yet: the count route answers 503

        ingest.Heartbeat([301, 400]); // 400 is not watched: in the count, not in the table
        await WaitForRow(page, 301, "online");
        await WaitForText(page, "#count", "2");
        // The chart: the count's line reaches its top (2), the watched onlines' line has a point at its top (1 a second).
        await Eventually.Until(async () => (await Points(page, "count")).Contains(",2.0", StringComparison.Ordinal) && await Text(page, "#countmax") == "2",
            "the count's line at its top", TimeSpan.FromSeconds(20));
        await Eventually.Until(async () => (await Points(page, "ons")).Contains(",2.0", StringComparison.Ordinal),
            "the watched onlines' line at its top (the second's point is drawn when the second ends)", TimeSpan.FromSeconds(20));
        Assert.DoesNotContain(",2.0", await Points(page, "offs"));

        // A new list goes into the address.
        await page.EvaluateExpressionAsync("document.querySelector('#ids').value = ''");
        await page.TypeAsync("#ids", "500, 7-8");
        await page.ClickAsync("button[type=submit]");
        await WaitForText(page, "#watched", "3");
        Assert.Equal("?ids=500%2C%207-8", await page.EvaluateExpressionAsync<string>("location.search"));
        lock (exceptions)
            Assert.Empty(exceptions);
    }

    [Fact]
    public async Task Console_DebounceFromTheAddress_StreamAsksForIt_ChangingItReopensTheStreamForTheSameIds()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix);
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, recordRequests: true);
        var (page, exceptions) = await OpenAsync(query, "ui?ids=600-602&debounce=5");
        await using var _ = page;
        await WaitForText(page, "#stream", "live");
        Assert.Equal("5", await Value(page, "#debounce"));
        Assert.Equal("debounce 5 s: offline shown 5 s late; blinks shorter than 5 s hidden", await Text(page, "#debouncehint"));
        Assert.Equal("", await Text(page, "#debouncenote"));
        Assert.Equal("?ids=600-602&debounce=5", await page.EvaluateExpressionAsync<string>("location.search"));
        // What the service was asked: the stream, with the debounce from the address.
        var streams = await EventStreams(query, 1);
        Assert.Equal("600,601,602", streams[0]["ids"]);
        Assert.Equal("5", streams[0].GetValueOrDefault("debounce"));

        // Another value: the stream is opened again with it, for the same ids, and the address follows.
        await page.SelectAsync("#debounce", "30");
        streams = await EventStreams(query, 2);
        Assert.Equal("600,601,602", streams[1]["ids"]);
        Assert.Equal("30", streams[1].GetValueOrDefault("debounce"));
        Assert.Equal("?ids=600-602&debounce=30", await page.EvaluateExpressionAsync<string>("location.search"));
        Assert.Contains("30 s late", await Text(page, "#debouncehint"));
        await WaitForText(page, "#stream", "live");

        // Off: a stream without the parameter.
        await page.SelectAsync("#debounce", "0");
        streams = await EventStreams(query, 3);
        Assert.Equal("600,601,602", streams[2]["ids"]);
        Assert.False(streams[2].ContainsKey("debounce"), "debounce off is the plain stream: no parameter");
        Assert.Equal("?ids=600-602", await page.EvaluateExpressionAsync<string>("location.search"));
        await WaitForText(page, "#stream", "live");

        // The reopened stream is the one the page shows: an online arrives (never delayed, debounced or not).
        ingest.Heartbeat([601]);
        await WaitForRow(page, 601, "online");
        Assert.Equal("3", await Text(page, "#watched"));
        // Exactly those three streams were asked for, in that order: none without the address's debounce first.
        Assert.Equal(new string?[] { "5", "30", null }, (await EventStreams(query, 3)).Select(q => q.GetValueOrDefault("debounce")));
        lock (exceptions)
            Assert.Empty(exceptions);
    }

    [Fact]
    public async Task Console_DebounceInTheAddressOutOfRange_OffWithANote_AnyWholeSecondsUpTo60Kept()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix);
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, recordRequests: true);
        // 61 is past what the service takes (it would answer 400): the page watches without a debounce and says so.
        var (page, exceptions) = await OpenAsync(query, "ui?ids=700-701&debounce=61");
        await using var _ = page;
        await WaitForText(page, "#stream", "live");
        Assert.Equal("0", await Value(page, "#debounce"));
        Assert.Contains("'61'", await Text(page, "#debouncenote"));
        Assert.Equal("2", await Text(page, "#watched"));
        Assert.Equal("?ids=700-701", await page.EvaluateExpressionAsync<string>("location.search"));
        var streams = await EventStreams(query, 1);
        Assert.Equal("700,701", streams[0]["ids"]);
        Assert.False(streams[0].ContainsKey("debounce"));

        // A value in range that the list does not offer is kept as it is (a shared link opens as it was sent).
        var loaded = await page.GoToAsync($"{query.Client.BaseAddress}ui?ids=700-701&debounce=7", WaitUntilNavigation.Load);
        Assert.True(loaded.Ok, $"/ui answered {(int)loaded.Status}");
        await WaitForText(page, "#stream", "live");
        Assert.Equal("7", await Value(page, "#debounce"));
        Assert.Equal("", await Text(page, "#debouncenote"));
        streams = await EventStreams(query, 2);
        Assert.Equal("7", streams[1].GetValueOrDefault("debounce"));
        lock (exceptions)
            Assert.Empty(exceptions);
    }

    [Fact]
    public async Task Console_GroupFromTheAddress_WatchedWithTheGroupStream_MembershipChangesShownWithoutAReload()
    {
        var prefix = TestKeys.Prefix();
        // A ttl no wait here comes near: nobody times out while the test looks (a loaded machine may take a while).
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.TtlSeconds = 600);
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, o => o.AdminKeys = _adminKeys, recordRequests: true);
        await Membership(query, HttpMethod.Put, "room-1", """{"ids":[610,611,612]}""");
        var (page, exceptions) = await OpenAsync(query, "ui?group=room-1");
        await using var _ = page;

        await WaitForText(page, "#watched", "3"); // from the stream's snapshot
        await WaitForText(page, "#stream", "live");
        Assert.Equal("3", await Text(page, "#members"));
        Assert.Equal("room-1", await Text(page, "#groupname"));
        Assert.Equal("?group=room-1", await page.EvaluateExpressionAsync<string>("location.search"));
        ingest.Heartbeat([611]);
        await WaitForRow(page, 611, "online");
        await WaitForText(page, "#online", "1");

        // A member joins while the page is open: its row appears (as it is: offline) with the new count,
        // from the same stream, without a reload; then its events come like any member's.
        await Membership(query, HttpMethod.Post, "room-1/members", """{"add":[613]}""");
        await WaitForRow(page, 613, "offline");
        await WaitForText(page, "#members", "4");
        Assert.Equal("4", await Text(page, "#watched"));
        ingest.Heartbeat([613]);
        await WaitForRow(page, 613, "online");
        await WaitForText(page, "#online", "2");

        // A member that is online leaves: its row goes, both counts follow.
        await Membership(query, HttpMethod.Post, "room-1/members", """{"remove":[611]}""");
        await WaitForText(page, "#members", "3");
        await WaitForText(page, "#online", "1");
        Assert.False(await page.EvaluateExpressionAsync<bool>("document.querySelector('tr[data-id=\"611\"]') !== null"), "611 left the group: no row");

        // One stream did it all: the group's, not the members read as a list and watched as ids.
        Assert.Equal(["GET /v1/groups/room-1/events"], query.Requests.Where(IsGroupOrEventsRequest));

        // A group with no members is watched too (a name opens a stream), and says so until one is added.
        await page.EvaluateExpressionAsync("document.querySelector('#group').value = 'nobody'");
        await page.ClickAsync("button[type=submit]");
        await WaitForText(page, "#message", "group 'nobody' has no members yet: members added to it will show here");
        Assert.Equal("0", await Text(page, "#members"));
        await Membership(query, HttpMethod.Post, "nobody/members", """{"add":[620]}""");
        await WaitForRow(page, 620, "offline");
        await WaitForText(page, "#members", "1");
        Assert.Equal("", await Text(page, "#message"));
        lock (exceptions)
            Assert.Empty(exceptions);
    }

    [Fact]
    public async Task Console_GroupOfMoreThanAThousand_CountsExact_RowsCapped()
    {
        var prefix = TestKeys.Prefix();
        // A ttl no wait here comes near: nobody times out while the test looks (a loaded machine may take a while).
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix, o => o.TtlSeconds = 600);
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix, o => o.AdminKeys = _adminKeys);
        var members = IngestTestHost.Users(5_001, 1_500);
        await Membership(query, HttpMethod.Put, "hall", $$"""{"ids":[{{string.Join(',', members)}}]}""");
        ingest.Heartbeat(members[..1_200], perFrame: 32);
        var (page, exceptions) = await OpenAsync(query, "ui?group=hall");
        await using var _ = page;

        // Past the 1,000 ids an id stream takes: the group's own stream counts every member.
        await WaitForText(page, "#members", "1500");
        await Eventually.Equal("1200", () => Text(page, "#online"), "every online member counted (the snapshot and the onlines after it)", TimeSpan.FromSeconds(60));
        Assert.Equal("1500", await Text(page, "#watched"));
        Assert.Equal("", await Text(page, "#message"));
        await Eventually.Equal(1_000, () => page.EvaluateExpressionAsync<int>("document.querySelectorAll('#users tr').length"), "1,000 rows drawn");
        Assert.Contains("the first 1,000 of 1,200 by id", await Text(page, "#rowsnote"));
        Assert.Equal("5001", await page.EvaluateExpressionAsync<string>("document.querySelector('#users tr').dataset.id"));
        lock (exceptions)
            Assert.Empty(exceptions);
    }

    /// <summary>A membership route answered 200, with the admin key.</summary>
    private static async Task Membership(QueryHost query, HttpMethod method, string path, string json)
    {
        using var request = new HttpRequestMessage(method, $"v1/groups/{path}")
        {
            Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Admin);
        using var response = await query.Client.SendAsync(request);
        Assert.True(response.IsSuccessStatusCode, $"{method} {path}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>A read of a group (its members or its stream) or an id stream: not the page's count and readiness reads, not the test's writes.</summary>
    private static bool IsGroupOrEventsRequest(string request) =>
        request.StartsWith("GET ", StringComparison.Ordinal) && (request.Contains("/v1/groups/", StringComparison.Ordinal) || request.Contains("/events", StringComparison.Ordinal));

    /// <summary>A new page at <paramref name="pathAndQuery"/> of the service, loaded; the page's script errors go to the list.</summary>
    private async Task<(IPage Page, List<string> Exceptions)> OpenAsync(QueryHost query, string pathAndQuery)
    {
        var page = await _browser.NewPageAsync();
        var exceptions = new List<string>();
        page.PageError += (_, e) =>
        {
            lock (exceptions) exceptions.Add(e.Message);
        };
        var loaded = await page.GoToAsync($"{query.Client.BaseAddress}{pathAndQuery}", WaitUntilNavigation.Load);
        Assert.True(loaded.Ok, $"/{pathAndQuery} answered {(int)loaded.Status}");
        return (page, exceptions);
    }

    /// <summary>
    /// The query of each events stream the service was asked for, in order, once there are
    /// <paramref name="count"/>; fails when there are more.
    /// </summary>
    private static async Task<IReadOnlyList<Dictionary<string, string>>> EventStreams(QueryHost query, int count)
    {
        const string Between = " | "; // never in a request line: its query is encoded
        string seen = await Eventually.Satisfy(
            () => string.Join(Between, query.Requests.Where(r => r.StartsWith($"GET {QueryApp.EventsRoute}?", StringComparison.Ordinal))),
            text => text.Split(Between, StringSplitOptions.RemoveEmptyEntries).Length >= count, $"{count} event streams asked for");
        var streams = seen.Split(Between, StringSplitOptions.RemoveEmptyEntries);
        Assert.True(streams.Length == count, $"{count} event streams asked for, got: {seen}");
        return [.. streams.Select(r => QueryHelpers.ParseQuery(r[r.IndexOf('?', StringComparison.Ordinal)..])
            .ToDictionary(p => p.Key, p => p.Value.ToString()))];
    }

    private static Task<string> Value(IPage page, string selector) =>
        page.EvaluateExpressionAsync<string>($"document.querySelector('{selector}').value");

    private static Task<string> Points(IPage page, string line) =>
        page.EvaluateExpressionAsync<string>($"document.querySelector('#chart .{line}').getAttribute('points')");

    private static Task<string> Text(IPage page, string selector) =>
        page.EvaluateExpressionAsync<string>($"document.querySelector('{selector}').textContent");

    private static Task WaitForText(IPage page, string selector, string text) =>
        Eventually.Until(async () => await Text(page, selector) == text, $"{selector} to read '{text}'", TimeSpan.FromSeconds(20));

    private static Task WaitForRow(IPage page, ulong id, string state, TimeSpan? timeout = null) =>
        Eventually.Until(async () => await page.EvaluateExpressionAsync<string>(
                $"(document.querySelector('tr[data-id=\"{id}\"]') || {{}}).className || ''") == state,
            $"user {id} shown {state}", timeout ?? TimeSpan.FromSeconds(20));
}
