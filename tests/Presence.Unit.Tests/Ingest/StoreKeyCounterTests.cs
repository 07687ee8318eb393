using Presence.Ingest.Internal.Infrastructure;


namespace Presence.Unit.Tests.Ingest;

public sealed class StoreKeyCounterTests
{
    [Fact]
    public void Expiring_ReadsTheDatabasesExpiresCount()
    {
        const string info = "# Keyspace\r\ndb0:keys=1500,expires=1000,avg_ttl=21034\r\ndb10:keys=7,expires=7,avg_ttl=1\r\n";

        Assert.Equal(1000, StoreKeyCounter.Expiring(info, "db0"));
        Assert.Equal(7, StoreKeyCounter.Expiring(info, "db10"));
    }

    [Fact]
    public void Expiring_DatabaseWithoutKeys_IsZero()
    {
        // A database with no keys has no line at all.
        Assert.Equal(0, StoreKeyCounter.Expiring("# Keyspace\r\n", "db0"));
        Assert.Equal(0, StoreKeyCounter.Expiring("# Keyspace\r\ndb1:keys=3,expires=3,avg_ttl=9\r\n", "db0"));
    }
}
