using System.Net;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Ingest;

/// <summary>The ingester writing to a real three-master Redis Cluster (--redis naming all three).</summary>
[Collection(RedisCollection.Name)]
public sealed class IngestClusterTests(RedisClusterFixture fixture) : IClassFixture<RedisClusterFixture>, IAsyncLifetime
{
    private ConnectionMultiplexer _mux = null!;

    private RedisCluster Cluster => fixture.Cluster;

    public async Task InitializeAsync() => _mux = await ConnectionMultiplexer.ConnectAsync(Cluster.Configuration);

    public async Task DisposeAsync() => await _mux.DisposeAsync();

    [Fact]
    public async Task Heartbeats_ToCluster_SpreadOverManySlotsAndEveryMaster_ReadableClusterAware()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(Cluster.Configuration, prefix);
        var users = IngestTestHost.Users(1, 5000);

        ingest.Heartbeat(users, perFrame: 50);

        await Eventually.Until(() => IngestTestHost.AllExist(_mux.GetDatabase(), prefix, users), "every user readable through a cluster-aware client");
        // Counted when the flusher next looks at the finished write, which may be after the keys are readable.
        await Eventually.Equal(users.Length, () => ingest.Metrics.WritesOk.Value, "store writes ok");
        var slots = users.Select(u => _mux.HashSlot(IngestTestHost.Key(prefix, u))).Distinct().Count();
        Assert.True(slots > 3000, $"keys over {slots} slots");
        long total = 0;
        foreach (var master in Cluster.Masters)
        {
            var server = _mux.GetServer(new IPEndPoint(IPAddress.Loopback, master.Port));
            long here = server.Keys(pattern: prefix + "*", pageSize: 1000).LongCount();
            Assert.True(here > users.Length / 10, $"master {master.Port} holds {here} keys");
            total += here;
        }
        Assert.Equal(users.Length, total);
    }

    [Fact]
    public async Task OneMasterKilled_OtherSlotsKeepLanding_ItsUsersLandAfterRestart()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(Cluster.Configuration, prefix, o => o.StoreTimeoutMs = 500);
        ingest.Heartbeat([1]);
        await Eventually.Equal(1, () => ingest.Metrics.WritesOk.Value, "store writes ok before the fault");
        var victim = Cluster.Masters[0];
        var victimEndPoint = new IPEndPoint(IPAddress.Loopback, victim.Port);
        var db = _mux.GetDatabase();
        var users = IngestTestHost.Users(100, 3000);
        var onVictim = users.Where(u => Equals(db.IdentifyEndpoint(IngestTestHost.Key(prefix, u)), victimEndPoint)).ToArray();
        var elsewhere = users.Except(onVictim).ToArray();
        Assert.NotEmpty(onVictim);

        try
        {
            Cluster.Stop(0);
            ingest.Heartbeat(users, perFrame: 50);

            await Eventually.Until(() => IngestTestHost.AllExist(_mux.GetDatabase(), prefix, elsewhere), "users on the live masters stored while one is away");
            await Eventually.Until(() => ingest.Metrics.WritesFailed.Value > 0, "writes to the dead master failing");
            await Eventually.Satisfy(() => ingest.Host.PendingUsers, held => held >= onVictim.Length,
                $"at least the {onVictim.Length} users of the dead master pending");
        }
        finally
        {
            Cluster.Restart(0); // the class's cluster must be whole for the next test
        }

        await Eventually.Until(() => IngestTestHost.AllExist(_mux.GetDatabase(), prefix, users), "every user stored once the master is back", TimeSpan.FromSeconds(30));
        await Eventually.Equal(0, () => ingest.Host.PendingUsers, "pending users");
        await Eventually.Equal(0, () => ingest.Metrics.UsersExpired.Value, "users expired");
    }
}
