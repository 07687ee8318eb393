using System.Text;
using Presence.Core.LastSeen;
using Presence.Query.Internal.Events;
using Presence.Query.Internal.Http;
using Presence.Query.Internal.Store;

namespace Presence.Unit.Tests.Query;

/// <summary>
/// What the store's values mean in an answer (docs/HTTP-API.md, "Last seen"): the batch JSON, and a
/// snapshot entry, where the events log says online or offline and the store gives the times.
/// </summary>
public sealed class PresenceAnswerTests
{
    private const long Received = 1_764_270_000_123;
    private const long Seen = 1_764_269_000_000;

    [Fact]
    public void Render_OnlineOfflineWithLastSeenUnknownAndNone()
    {
        ulong[] ids = [1, 2, 3, 4];
        long[] values = [Received, LastSeenTime.EncodeOffline(Seen), PresenceStore.UnknownTime, PresenceStore.Offline];

        string json = Encoding.UTF8.GetString(PresenceJson.Render(ids, values, single: false));

        Assert.Equal(
            """{"users":[{"id":"1","online":true,"lastSeenMs":1764270000123},{"id":"2","online":false,"lastSeenMs":1764269000000},""" +
            """{"id":"3","online":true,"lastSeenMs":null},{"id":"4","online":false,"lastSeenMs":null}],"online":2}""",
            json);
    }

    [Theory]
    // The log says online: the key's time; with the key gone (its offline not appended yet), the online line's.
    [InlineData(500L, Received, true, Received)]
    [InlineData(500L, PresenceStore.Offline, true, 500L)]
    [InlineData(500L, -1_764_269_000_002L, true, 500L)] // a last seen but the log says online: the online line's time
    [InlineData(500L, PresenceStore.UnknownTime, true, PresenceStore.UnknownTime)]
    // The log says offline: the kept last seen; a key still there gives its time to the second; else none.
    [InlineData(null, -1_764_269_000_002L, true, -1_764_269_000_002L)]
    [InlineData(null, Received, true, -1_764_270_000_002L)]
    [InlineData(null, Received, false, PresenceStore.Offline)] // last seen off: never a time for an offline user
    [InlineData(null, PresenceStore.UnknownTime, true, PresenceStore.Offline)]
    [InlineData(null, PresenceStore.Offline, true, PresenceStore.Offline)]
    public void AsTheLogHasIt_LogDecidesOnline_StoreGivesTheTime(long? onlineSince, long stored, bool lastSeenOn, long expected) =>
        Assert.Equal(expected, StreamStart.AsTheLogHasIt(onlineSince, stored, lastSeenOn));

    [Fact]
    public void EncodeOffline_RoundTrips_AndNeverMeansOnline()
    {
        long encoded = LastSeenTime.EncodeOffline(Seen);

        Assert.Equal(-1_764_269_000_002L, encoded);
        Assert.Equal(Seen, LastSeenTime.DecodeOffline(encoded));
        Assert.False(PresenceStore.IsOnline(encoded));
        Assert.Equal(0, LastSeenTime.DecodeOffline(LastSeenTime.EncodeOffline(0)));
        Assert.Null(LastSeenTime.DecodeOffline(PresenceStore.Offline));
        Assert.Null(LastSeenTime.DecodeOffline(PresenceStore.UnknownTime));
    }
}
