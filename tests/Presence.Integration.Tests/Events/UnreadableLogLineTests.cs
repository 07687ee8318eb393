using System.Globalization;
using Presence.Core.Events;
using Presence.Integration.Tests.Query;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Events;

/// <summary>
/// A line of a form the query node does not know (a newer ingester's, after an upgrade in the wrong order: docs/DEPLOY.md,
/// "Upgrades") is skipped, counted in <c>presence_event_log_unreadable_lines_total</c>, and the lines after it still
/// reach the streams with their own numbers.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class UnreadableLogLineTests(RedisFixture redis)
{
    // Lines pushed as they are, the log's last number moved on by as many: what an ingester of another line form does.
    private const string PushLines = """
        for i = 1, #ARGV do redis.call('RPUSH', KEYS[2], ARGV[i]) end
        return redis.call('INCRBY', KEYS[1], #ARGV)
        """;

    [Fact]
    public async Task LineOfAnUnknownForm_Skipped_Counted_TheLinesAfterItArrive()
    {
        var prefix = TestKeys.Prefix();
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix);
        using var mux = await ConnectionMultiplexer.ConnectAsync(redis.Server.Configuration);
        var db = mux.GetDatabase();
        var keys = new EventLogKeys(prefix);
        await using var stream = await SseClient.OpenAsync(query.Client.BaseAddress!, "/v1/presence/events?ids=1,2");
        var snapshot = await stream.NextAsync("the snapshot");
        Assert.Equal("snapshot", snapshot.Type);
        Assert.Equal(0, await query.GaugeAsync("presence_event_log_unreadable_lines_total"));

        string at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        long last = (long)await db.ScriptEvaluateAsync(PushLines, [keys.Seq, keys.Log], [$"n 1 {at}", $"v2 n 2 {at}", $"n 2 {at}"]);
        Assert.Equal(3, last);

        var first = await stream.NextAsync("user 1 online (line 1)");
        var second = await stream.NextAsync("user 2 online (line 3)");
        Assert.Equal([("online", 1UL, 1L), ("online", 2UL, 3L)],
            new[] { first, second }.Select(e => (e.Type, e.User, long.Parse(e.Id![(e.Id!.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture))));
        await Eventually.Until(async () => await query.GaugeAsync("presence_event_log_unreadable_lines_total") == 1, "line 2 counted unreadable");
    }
}
