using System.Net;
using System.Text;
using Presence.Bench.Events;
using Presence.Core.Events;

namespace Presence.Unit.Tests.Bench;

/// <summary>
/// The events benchmark's groups part reads group streams (HTTP-API.md, group streams): a snapshot
/// that lists online members only, ids that carry the membership version, a count on every event;
/// and asks for the streams it compares them with (ids in a POST body).
/// </summary>
public sealed class GroupStreamBenchTests
{
    // Users 1..6; subscriber 0's group holds 1..3, subscriber 1's 4..6.
    private static readonly WatchLayout s_layout = new(6, 1, 3, 2);
    private static readonly StreamShape s_groups = StreamShape.Groups("g-");

    private static EventSubscriber Subscriber(int index) => new(index, s_layout, new IPEndPoint(IPAddress.Loopback, 9), s_groups);

    private static bool Feed(EventSubscriber subscriber, string type, string id, string data) =>
        subscriber.OnEvent(type, id, Encoding.ASCII.GetBytes(data));

    [Fact]
    public void GroupStream_SnapshotOfOnlineMembersThenEventsWithVersionedIds_TakenCountsAgree()
    {
        var subscriber = Subscriber(0);
        // Member 2 online; 1 and 3 not listed: offline.
        Assert.True(Feed(subscriber, "snapshot", "e1-10.4", """{"name":"g-0","members":3,"online":1,"users":[{"id":"2","online":true,"lastSeenMs":5}]}"""));
        Assert.True(Feed(subscriber, "online", "e1-11.4", """{"id":"1","at":1000,"count":2}"""));
        Assert.True(Feed(subscriber, "offline", "e1-12.4", """{"id":"2","at":1100,"reason":"timeout","count":1}"""));

        Assert.Equal((0, 0, 0, 0), (subscriber.Foreign, subscriber.OtherEpoch, subscriber.NotAlternating, subscriber.CountMismatches));
        Assert.Equal([(11L, TransitionKind.Online, 1UL), (12L, TransitionKind.Timeout, 2UL)], subscriber.Deliveries().Select(d => (d.Seq, d.Kind, d.UserId)));
        Assert.Equal(10, subscriber.SnapshotSeq);
        Assert.Equal("e1-12.4", subscriber.LastEventId); // sent back as it came

        // Judged against the log like an id stream: each line of a member once.
        var lines = new List<EventLogLine> { new(11, TransitionKind.Online, 1, 1000), new(12, TransitionKind.Timeout, 2, 1100) };
        var other = Subscriber(1);
        Feed(other, "snapshot", "e1-10.7", """{"name":"g-1","members":3,"online":0,"users":[]}""");
        var check = DeliveryCheck.Run([subscriber, other], s_layout, lines, 10, 12);
        Assert.True(check.ExactlyOnce, check.ToString());
        Assert.Equal(2L, check.Expected);
    }

    [Theory]
    [InlineData("""{"name":"g-0","members":3,"online":2,"users":[{"id":"2","online":true,"lastSeenMs":5}]}""", null)] // online says 2, one listed
    [InlineData("""{"name":"g-0","members":4,"online":1,"users":[{"id":"2","online":true,"lastSeenMs":5}]}""", null)] // 4 members, the group holds 3
    [InlineData("""{"name":"g-0","members":3,"online":1,"users":[{"id":"2","online":true,"lastSeenMs":5}]}""", """{"id":"1","at":1000,"count":1}""")] // 2 online after it
    public void GroupStream_CountThatDisagreesWithTheState_Counted(string snapshot, string? online)
    {
        var subscriber = Subscriber(0);
        Feed(subscriber, "snapshot", "e1-10.4", snapshot);
        if (online is not null)
            Feed(subscriber, "online", "e1-11.4", online);
        Assert.Equal(1, subscriber.CountMismatches);
    }

    [Theory]
    [InlineData(false, new ulong[] { 1, 20, 334, 353, 667, 686 })]
    [InlineData(true, new ulong[] { 1, 20, 354, 373, 667, 686 })] // the odd block one block further on
    public void WatchLayout_Spread_BlocksSpacedEvenly_SameIdsForTheLargeGroupAndTheSmallOnes_SubscribersOfExact(bool shiftOdd, ulong[] edges)
    {
        // 1,000 users, 60 members in blocks of 20, one every 333 ids.
        var big = WatchLayout.Spread(1_000, 60, 20, 60, 1, shiftOdd);
        var small = WatchLayout.Spread(1_000, 60, 20, 20, 3, shiftOdd);
        Assert.Equal(edges, new[] { 0, 19, 20, 39, 40, 59 }.Select(k => big.IdAt(0, k)));
        Assert.Equal(Enumerable.Range(0, 60).Select(k => big.IdAt(0, k)), Enumerable.Range(0, 3).SelectMany(s => Enumerable.Range(0, 20).Select(k => small.IdAt(s, k))));
        Assert.Equal(60, small.DistinctIds);
        for (ulong id = 0; id <= 1_001; id++)
        {
            int k = Enumerable.Range(0, 60).FirstOrDefault(k => big.IdAt(0, k) == id, -1);
            Assert.Equal(k, big.PositionOf(0, id));
            Assert.Equal(k < 0 ? [] : [0], big.SubscribersOf(id));
            Assert.Equal(k < 0 ? [] : [k / 20], small.SubscribersOf(id));
            for (int s = 0; s < 3; s++)
                Assert.Equal(k >= 0 && k / 20 == s ? k % 20 : -1, small.PositionOf(s, id));
        }
        Assert.Throws<ArgumentException>(() => WatchLayout.Spread(50, 60, 20, 20, 3)); // more members than users
    }

    [Fact]
    public void StreamShape_Requests_GroupGetAndIdsPostWithTheBlockAndItsLength()
    {
        var server = new IPEndPoint(IPAddress.Loopback, 8080);
        string group = Encoding.ASCII.GetString(s_groups.Request(s_layout, 1, server, "e1-12.4"));
        Assert.StartsWith("GET /v1/groups/g-1/events HTTP/1.1\r\n", group, StringComparison.Ordinal);
        Assert.Contains("\r\nLast-Event-ID: e1-12.4\r\n", group, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n", group, StringComparison.Ordinal);

        string post = Encoding.ASCII.GetString(StreamShape.IdsPost.Request(s_layout, 1, server, null));
        Assert.StartsWith("POST /v1/presence/events HTTP/1.1\r\n", post, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\n{\"ids\":[4,5,6]}", post, StringComparison.Ordinal);
        Assert.Contains("\r\nContent-Length: 15\r\n", post, StringComparison.Ordinal);
        Assert.DoesNotContain("Last-Event-ID", post, StringComparison.Ordinal);
    }
}
