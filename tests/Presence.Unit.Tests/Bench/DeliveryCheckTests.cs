using System.Net;
using System.Text;
using Presence.Bench.Events;
using Presence.Core.Events;

namespace Presence.Unit.Tests.Bench;

/// <summary>
/// The events benchmark's verdict (<see cref="DeliveryCheck"/>): small hand-made deliveries, each
/// breaking one rule (a line lost, repeated, invented, altered, out of another epoch), judged
/// against the log's lines; a new snapshot inside the window owes only the lines after it.
/// </summary>
public sealed class DeliveryCheckTests
{
    // Users 1..4; subscriber 0 watches 1 and 2, subscriber 1 watches 3 and 4, subscriber 2 (wrapping round) 1 and 2 again.
    private static readonly WatchLayout s_layout = new(4, 1, 2, 3);

    // The log's window (10, 14]: user 1 online and signs out, user 3 online, user 2 online.
    private static readonly List<EventLogLine> s_lines =
    [
        new(11, TransitionKind.Online, 1, 1_000),
        new(12, TransitionKind.Online, 3, 1_100),
        new(13, TransitionKind.Signout, 1, 1_200),
        new(14, TransitionKind.Online, 2, 1_300),
    ];

    private static EventSubscriber[] Subscribers()
    {
        var subscribers = new EventSubscriber[s_layout.Subscribers];
        for (int s = 0; s < subscribers.Length; s++)
        {
            subscribers[s] = new EventSubscriber(s, s_layout, new IPEndPoint(IPAddress.Loopback, 9));
            Snapshot(subscribers[s], "e1", 10);
        }
        return subscribers;
    }

    private static void Snapshot(EventSubscriber subscriber, string epoch, long seq)
    {
        var users = string.Join(",", Enumerable.Range(0, s_layout.Watch).Select(k => $"{{\"id\":\"{s_layout.IdAt(subscriber.Index, k)}\",\"online\":false,\"lastSeenMs\":null}}"));
        Feed(subscriber, "snapshot", $"{epoch}-{seq}", $"{{\"users\":[{users}],\"online\":0}}");
    }

    private static void Deliver(EventSubscriber subscriber, in EventLogLine line, string epoch = "e1", long? atMs = null)
    {
        long at = atMs ?? line.AtMs;
        string data = line.Kind switch
        {
            TransitionKind.Online => $"{{\"id\":\"{line.UserId}\",\"at\":{at}}}",
            TransitionKind.Timeout => $"{{\"id\":\"{line.UserId}\",\"at\":{at},\"reason\":\"timeout\"}}",
            _ => $"{{\"id\":\"{line.UserId}\",\"at\":{at},\"reason\":\"signout\"}}",
        };
        Feed(subscriber, line.IsOnline ? "online" : "offline", $"{epoch}-{line.Seq}", data);
    }

    private static void Feed(EventSubscriber subscriber, string type, string id, string data) =>
        subscriber.OnEvent(type, id, Encoding.ASCII.GetBytes(data));

    /// <summary>Every line to every subscriber watching its user, in order.</summary>
    private static EventSubscriber[] AllDelivered(Func<int, EventLogLine, bool>? skip = null)
    {
        var subscribers = Subscribers();
        foreach (var line in s_lines)
        {
            foreach (int s in s_layout.SubscribersOf(line.UserId))
            {
                if (skip?.Invoke(s, line) != true)
                    Deliver(subscribers[s], line);
            }
        }
        return subscribers;
    }

    private static DeliveryCheck Judge(EventSubscriber[] subscribers) => DeliveryCheck.Run(subscribers, s_layout, s_lines, 10, 14);

    [Fact]
    public void EveryLineOnceToEachWatcher_ExactlyOnce()
    {
        var check = Judge(AllDelivered());
        Assert.True(check.ExactlyOnce, check.ToString());
        // Lines about users 1 and 2 are owed to two subscribers each, user 3's to one.
        Assert.Equal((7L, 7L, 0L), (check.Expected, check.Received, check.Missing));
        Assert.Equal(0, check.Resnapshotted);
    }

    [Fact]
    public void OneLineLostForOneSubscriber_Missing()
    {
        var check = Judge(AllDelivered(skip: (s, line) => s == 2 && line.Seq == 14));
        Assert.False(check.ExactlyOnce);
        Assert.Equal((7L, 6L, 1L), (check.Expected, check.Received, check.Missing));
    }

    [Fact]
    public void OneLineTwice_Duplicate()
    {
        var subscribers = AllDelivered();
        Deliver(subscribers[1], s_lines[1]);
        var check = Judge(subscribers);
        Assert.False(check.ExactlyOnce);
        Assert.Equal((1L, 0L), (check.Duplicates, check.Missing));
        Assert.Equal(1, check.NotAlternating); // user 3 online twice
    }

    [Fact]
    public void LineTheLogDoesNotHave_Unexpected()
    {
        var subscribers = AllDelivered(skip: (s, line) => s == 0 && line.Seq == 13);
        Deliver(subscribers[0], new EventLogLine(13, TransitionKind.Signout, 2, 1_200)); // seq 13 is user 1's, not 2's
        Deliver(subscribers[0], new EventLogLine(12, TransitionKind.Online, 2, 1_250)); // seq 12 is about user 3, whom subscriber 0 does not watch
        var check = Judge(subscribers);
        Assert.False(check.ExactlyOnce);
        Assert.Equal(1L, check.Mismatched); // the first: a line of the log, said wrongly
        Assert.Equal(1L, check.Unexpected); // the second: not a line this subscriber is owed
    }

    [Theory]
    [InlineData(0)] // the at
    [InlineData(1)] // the kind
    public void LineAltered_Mismatched(int what)
    {
        var subscribers = AllDelivered(skip: (s, line) => s == 0 && line.Seq == 13);
        var line = s_lines[2];
        if (what == 0)
            Deliver(subscribers[0], line, atMs: line.AtMs + 1);
        else
            Deliver(subscribers[0], line with { Kind = TransitionKind.Timeout });
        var check = Judge(subscribers);
        Assert.False(check.ExactlyOnce);
        Assert.Equal((1L, 0L), (check.Mismatched, check.Missing));
    }

    [Fact]
    public void EventOfAnotherEpoch_NotExactlyOnce()
    {
        var subscribers = AllDelivered(skip: (s, line) => s == 1 && line.Seq == 12);
        Deliver(subscribers[1], s_lines[1], epoch: "e2");
        var check = Judge(subscribers);
        Assert.False(check.ExactlyOnce);
        Assert.Equal(1, check.OtherEpoch);
    }

    [Fact]
    public void NewSnapshotInsideTheWindow_OwedOnlyTheLinesAfterIt()
    {
        // Subscriber 0 got line 11, lost 13, then took a new snapshot at 13 and got 14: nothing is missing.
        var subscribers = AllDelivered(skip: (s, line) => s == 0 && line.Seq >= 13);
        Snapshot(subscribers[0], "e1", 13);
        Deliver(subscribers[0], s_lines[3]);
        var check = Judge(subscribers);
        Assert.True(check.ExactlyOnce, check.ToString());
        Assert.Equal(1, check.Resnapshotted);
        Assert.Equal(5L, check.Expected); // subscriber 0 is owed only line 14

        // Without that snapshot, the same deliveries miss line 13.
        var lost = AllDelivered(skip: (s, line) => s == 0 && line.Seq == 13);
        Assert.Equal(1L, Judge(lost).Missing);
    }

    [Fact]
    public void DeliveriesOutsideTheWindow_NotJudged()
    {
        var subscribers = AllDelivered();
        // Each still alternates for its user (that is judged whatever the window): only the window is tested here.
        Deliver(subscribers[0], new EventLogLine(10, TransitionKind.Signout, 2, 900));  // at the window's start, not in it
        Deliver(subscribers[0], new EventLogLine(15, TransitionKind.Online, 1, 1_400)); // after it
        var check = Judge(subscribers);
        Assert.True(check.ExactlyOnce, check.ToString());
        Assert.Equal(7L, check.Received);
    }

    [Fact]
    public void SubscriberThatNeverReceived_OwesEverythingMissing()
    {
        var subscribers = Subscribers();
        var check = Judge(subscribers);
        Assert.False(check.ExactlyOnce);
        Assert.Equal((7L, 0L, 7L), (check.Expected, check.Received, check.Missing));
    }
}
