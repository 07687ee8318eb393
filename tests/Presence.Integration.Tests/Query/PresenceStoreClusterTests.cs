using System.Globalization;
using Presence.Core.LastSeen;
using Presence.Query.Internal.Store;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Query;

/// <summary>
/// <see cref="PresenceStore"/> against a real three-master Redis Cluster (the shared
/// <see cref="RedisCluster"/> fixture), where one MGET may not span hash slots: ids are grouped by slot, and each
/// slot's group is one MGET.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class PresenceStoreClusterTests(RedisClusterFixture fixture) : IClassFixture<RedisClusterFixture>
{
    private IReadOnlyList<RedisServer> Nodes => fixture.Cluster.Masters;

    [Fact]
    public async Task GetLastSeen_IdsAcrossSlots_OneMgetPerSlotAndAnswersInOrder()
    {
        await WaitForCluster();
        var prefix = TestKeys.Prefix();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(Configuration());
        Assert.NotEqual(-1, connection.HashSlot(prefix + "1")); // the client sees a cluster
        var db = connection.GetDatabase();
        var ids = Enumerable.Range(1, 300).Select(i => (ulong)i).Concat<ulong>([18446744073709551615UL, 7, 7, 300]).ToArray();
        foreach (var id in ids.Distinct().Where(id => id % 3 != 0))
            Assert.True(await db.StringSetAsync(PresenceKeys(prefix, id), Text(1_764_270_000_000 + (long)(id % 1000)), TimeSpan.FromMinutes(1)));
        var mgetsBefore = Nodes.Select(node => CommandStats.Calls(node, "mget")).ToArray();
        await using var store = new PresenceStore(connection, prefix, TimeSpan.FromSeconds(5));

        var lastSeen = new long[ids.Length];
        var status = await store.GetLastSeenAsync(ids, lastSeen);

        Assert.Equal(StoreStatus.Ok, status);
        for (int i = 0; i < ids.Length; i++)
        {
            long expected = ids[i] % 3 != 0 ? 1_764_270_000_000 + (long)(ids[i] % 1000) : PresenceStore.Offline;
            Assert.Equal(expected, lastSeen[i]);
        }
        int slots = ids.Distinct().Select(id => connection.HashSlot(PresenceKeys(prefix, id))).Distinct().Count();
        // Counted as a change: the cluster is shared by the class's tests, so the totals hold their MGETs too.
        var mgets = Nodes.Select((node, i) => CommandStats.Calls(node, "mget") - mgetsBefore[i]).ToArray();
        Assert.Equal(slots, mgets.Sum());
        Assert.All(mgets, n => Assert.True(n > 0, $"every node served its share: MGETs per node {string.Join(", ", mgets)}"));
    }

    [Fact]
    public async Task GetLastSeen_HashTaggedPrefix_OneMget()
    {
        await WaitForCluster();
        var prefix = "{" + TestKeys.Prefix() + "}"; // one hash tag: every key in one slot
        await using var connection = await ConnectionMultiplexer.ConnectAsync(Configuration());
        await connection.GetDatabase().StringSetAsync(prefix + "5", "5555", TimeSpan.FromMinutes(1));
        long mgetsBefore = Nodes.Sum(node => CommandStats.Calls(node, "mget"));
        await using var store = new PresenceStore(connection, prefix, TimeSpan.FromSeconds(5));

        var lastSeen = new long[50];
        var status = await store.GetLastSeenAsync(Enumerable.Range(1, 50).Select(i => (ulong)i).ToArray(), lastSeen);

        Assert.Equal(StoreStatus.Ok, status);
        Assert.Equal(5555, lastSeen[4]);
        Assert.Equal(49, lastSeen.Count(ms => ms == PresenceStore.Offline));
        Assert.Equal(1, Nodes.Sum(node => CommandStats.Calls(node, "mget")) - mgetsBefore);
    }

    [Fact]
    public async Task GetLastSeen_WithLastSeenOn_OfflineUsersGetTheirBucketsTime_MgetsPerSlotAndOneHgetPerId()
    {
        await WaitForCluster();
        var prefix = TestKeys.Prefix();
        await using var connection = await ConnectionMultiplexer.ConnectAsync(Configuration());
        var db = connection.GetDatabase();
        var buckets = new LastSeenKeys(prefix);
        var ids = Enumerable.Range(1, 120).Select(i => (ulong)i).ToArray();
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var id in ids)
        {
            if (id % 3 == 0)
                await db.StringSetAsync(PresenceKeys(prefix, id), Text(now), TimeSpan.FromMinutes(1)); // online
            if (id % 2 == 0)
                await db.HashSetAsync(buckets.KeyOf(id), LastSeenKeys.Field(id), now / 1000 - (long)id); // remembered
        }
        await db.HashSetAsync(buckets.KeyOf(119), LastSeenKeys.Field(119), now / 1000 - (40 * 86_400)); // older than the retention
        var hgetsBefore = Nodes.Select(node => CommandStats.Calls(node, "hget")).ToArray();
        await using var store = new PresenceStore(connection, prefix, TimeSpan.FromSeconds(5), lastSeenDays: 30);

        var values = new long[ids.Length];
        var status = await store.GetLastSeenAsync(ids, values);

        Assert.Equal(StoreStatus.Ok, status);
        for (int i = 0; i < ids.Length; i++)
        {
            ulong id = ids[i];
            long expected = id % 3 == 0 ? now
                : id % 2 == 0 ? LastSeenTime.EncodeOffline(((now / 1000) - (long)id) * 1000)
                : PresenceStore.Offline; // never remembered, or (119) remembered too long ago
            Assert.Equal(expected, values[i]);
        }
        var hgets = Nodes.Select((node, i) => CommandStats.Calls(node, "hget") - hgetsBefore[i]).ToArray();
        Assert.Equal(ids.Length, hgets.Sum()); // one per id, all sent with the MGETs
        Assert.All(hgets, n => Assert.True(n > 0, $"the buckets spread over every node: HGETs per node {string.Join(", ", hgets)}"));
    }

    private string Configuration() => fixture.Cluster.Configuration;

    private Task WaitForCluster()
    {
        fixture.Cluster.WaitHealthy();
        return Task.CompletedTask;
    }

    private static string PresenceKeys(string prefix, ulong id) => Presence.Core.PresenceKeys.Format(prefix, id);

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
