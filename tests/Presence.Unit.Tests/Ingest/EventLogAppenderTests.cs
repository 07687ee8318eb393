using System.Reflection;
using Microsoft.Extensions.Logging.Abstractions;
using Presence.Core.Events;
using Presence.Ingest;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Transitions;
using Presence.Testing.StandIns;
using StackExchange.Redis;

namespace Presence.Unit.Tests.Ingest;

/// <summary>
/// The events log queue when it is full: transitions are held per user (the first and the latest)
/// and go in, in order, once it has room. The store is never reached (no append runs): the test
/// takes from the queue what the appender would append.
/// </summary>
public sealed class EventLogAppenderTests
{
    private readonly IngestMetrics _metrics = new();

    private EventLogAppender Appender(int capacity, int heldCapacity = EventLogAppender.HeldCapacity) =>
        new(DispatchProxy.Create<IDatabase, UnreachableDatabase>(), "presence:", TimeSpan.FromHours(1), new IngestClock(), _metrics, NullLogger.Instance,
            capacity, heldCapacity);

    [Fact]
    public void Enqueue_QueueFull_HoldsEachUsersFirstAndLatest_GoesInInOrderOnceThereIsRoom()
    {
        var log = Appender(capacity: 3);
        log.Enqueue(new(1, TransitionKind.Online, 100));
        log.Enqueue(new(2, TransitionKind.Online, 100));
        log.Enqueue(new(3, TransitionKind.Online, 100)); // full
        log.Enqueue(new(4, TransitionKind.Online, 110));  // held: the online a full queue used to drop
        log.Enqueue(new(1, TransitionKind.Timeout, 130)); // held
        log.Enqueue(new(4, TransitionKind.Timeout, 140)); // 4's latest
        log.Enqueue(new(1, TransitionKind.Online, 150));  // 1's latest: its timeout stays first
        log.Enqueue(new(1, TransitionKind.Timeout, 180)); // replaces the online of 150 as 1's latest: dropped
        Assert.Equal(2, log.Held);
        Assert.Equal(5, _metrics.TransitionsHeld.Value);
        Assert.Equal(1, _metrics.TransitionsDropped.Value);

        Assert.Equal([new(1, TransitionKind.Online, 100)], Take(log, 1));
        log.Release(); // room for one: user 4 needs two, so nothing goes in (and nobody overtakes it)
        Assert.Equal(2, log.Queued);
        Assert.Equal(2, log.Held);

        Assert.Equal([new(2, TransitionKind.Online, 100), new(3, TransitionKind.Online, 100)], Take(log, 2));
        log.Release(); // room for three: user 4's two go in; user 1's two do not fit yet
        Assert.Equal(1, log.Held);
        log.Enqueue(new(4, TransitionKind.Online, 200)); // 4 is no longer held: straight in, after its held ones
        Assert.Equal([new(4, TransitionKind.Online, 110), new(4, TransitionKind.Timeout, 140), new(4, TransitionKind.Online, 200)], Take(log, 3));

        log.Enqueue(new(5, TransitionKind.Online, 210)); // user 1's held ones go in first, as the queue has room again
        Assert.Equal(0, log.Held);
        Assert.Equal([new(1, TransitionKind.Timeout, 130), new(1, TransitionKind.Timeout, 180), new(5, TransitionKind.Online, 210)], Take(log, 3));
        Assert.Equal(1, _metrics.TransitionsDropped.Value);
    }

    [Fact]
    public void PublishBacklog_SetsQueuedPlusUsersHeld_OnlyWhenCalled()
    {
        var log = Appender(capacity: 2);
        log.Enqueue(new(1, TransitionKind.Online, 100));
        log.Enqueue(new(2, TransitionKind.Online, 100)); // full
        log.Enqueue(new(3, TransitionKind.Online, 110)); // held
        log.Enqueue(new(3, TransitionKind.Timeout, 120)); // 3's latest: still one user held
        log.Enqueue(new(4, TransitionKind.Online, 130)); // held
        Assert.Equal(0, _metrics.EventLogBacklog.Value); // not per transition: once a flusher tick

        log.PublishBacklog();
        Assert.Equal(4, _metrics.EventLogBacklog.Value); // 2 queued + 2 users held

        Take(log, 2);
        log.Release(); // user 3's two go in; user 4 does not fit yet
        log.PublishBacklog();
        Assert.Equal(3, _metrics.EventLogBacklog.Value);
    }

    [Theory]
    [InlineData(0, 0, false, false)]      // presence writes current: append at once
    [InlineData(500, 0, false, false)]    // at the bound: still current enough
    [InlineData(501, 0, false, true)]     // behind: the store goes to them first
    [InlineData(20_000, 90, false, true)]
    [InlineData(20_000, 100, false, false)] // waited the most an append waits: the log still moves in an overload
    [InlineData(20_000, 0, true, false)]  // stopping: the grace is for appending what is left
    public void Yields_WhilePresenceWritesAreBehind_Bounded_AndNeverWhenStopping(long lagMs, int waitedMs, bool stopping, bool yields)
    {
        Assert.Equal(yields, EventLogAppender.Yields(lagMs, waitedMs, stopping));
    }

    [Fact]
    public void Enqueue_MoreUsersThanCanBeHeld_TheRestDroppedAndCounted()
    {
        var log = Appender(capacity: 1, heldCapacity: 2);
        log.Enqueue(new(1, TransitionKind.Online, 100));
        log.Enqueue(new(2, TransitionKind.Online, 100));
        log.Enqueue(new(3, TransitionKind.Online, 100));
        log.Enqueue(new(4, TransitionKind.Online, 100));
        log.Enqueue(new(2, TransitionKind.Timeout, 200)); // a held user's later one is still held
        Assert.Equal(2, log.Held);
        Assert.Equal(1, _metrics.TransitionsDropped.Value); // user 4's online
    }

    [Fact]
    public void Enqueue_PossibleOnlineHeld_StillPossibleWhenItGoesIn()
    {
        // A possible online (a key this ingester met anew) the log drops silently when it has the user online; held as a
        // plain online it went to the log's pending onlines instead, and could come back after another ingester's timeout.
        var log = Appender(capacity: 2);
        log.Enqueue(new(1, TransitionKind.Online, 100));
        log.Enqueue(new(4, TransitionKind.Online, 100));
        log.Enqueue(new(2, TransitionKind.Online, 110, Possible: true), counted: false); // held: the first
        log.Enqueue(new(3, TransitionKind.Timeout, 120));
        log.Enqueue(new(3, TransitionKind.Online, 130, Possible: true), counted: false); // held: 3's latest
        Assert.Equal(2, log.Held);
        Assert.Equal([new(1, TransitionKind.Online, 100), new(4, TransitionKind.Online, 100)], Take(log, 2));
        log.Release(); // user 2 goes in; user 3's two do not fit beside it
        Assert.Equal([new(2, TransitionKind.Online, 110, Possible: true)], Take(log, 1));
        log.Release();
        Assert.Equal([new(3, TransitionKind.Timeout, 120), new(3, TransitionKind.Online, 130, Possible: true)], Take(log, 2));
    }

    [Fact]
    public void EnqueuePair_QueueFull_HeldTogether_GoInNextToEachOther_Counted_StillRelayed()
    {
        // The log takes a relayed online only right after its timeout in one call: a full queue must not part them.
        var log = Appender(capacity: 2);
        log.Enqueue(new(1, TransitionKind.Online, 100));
        log.EnqueuePair(new(2, TransitionKind.Timeout, 110), new(2, TransitionKind.Online, 120, Relayed: true)); // room for one: both held
        Assert.Equal(1, log.Held);
        Assert.Equal(1, log.Queued);
        Assert.Equal(1, _metrics.Transitions(TransitionKind.Timeout).Value);
        Assert.Equal(2, _metrics.Transitions(TransitionKind.Online).Value);
        Assert.Equal([new(1, TransitionKind.Online, 100)], Take(log, 1));
        log.Release();
        Assert.Equal([new(2, TransitionKind.Timeout, 110), new(2, TransitionKind.Online, 120, Relayed: true)], Take(log, 2));
        log.EnqueuePair(new(3, TransitionKind.Timeout, 130), new(3, TransitionKind.Online, 140, Relayed: true)); // room: straight in
        Assert.Equal(0, log.Held);
        Assert.Equal([new(3, TransitionKind.Timeout, 130), new(3, TransitionKind.Online, 140, Relayed: true)], Take(log, 2));
        Assert.Equal(0, _metrics.TransitionsDropped.Value);
    }

    [Theory]
    [InlineData(TransitionKind.Online, 0L, false, false)]
    [InlineData(TransitionKind.Online, 1_796_000_000_000L, true, false)]
    [InlineData(TransitionKind.Online, 1_796_000_000_001L, false, true)]
    [InlineData(TransitionKind.Timeout, 1_796_000_000_123L, false, false)]
    [InlineData(TransitionKind.Signout, long.MaxValue >> 5, false, true)]
    public void Transition_PackedAndBack_TheSame_NeverZero(TransitionKind kind, long atMs, bool possible, bool relayed)
    {
        var transition = new PresenceTransition(42, kind, atMs, possible, relayed);
        Assert.Equal(16, System.Runtime.CompilerServices.Unsafe.SizeOf<PresenceTransition>()); // the log's queue holds up to 1M
        Assert.Equal(16, System.Runtime.CompilerServices.Unsafe.SizeOf<HeldTransitions>());
        Assert.NotEqual(0, transition.Packed); // 0 means "no latest" to HeldTransitions
        Assert.Equal((kind, atMs, possible, relayed), (transition.Kind, transition.AtMs, transition.Possible, transition.Relayed));
        Assert.Equal(transition, PresenceTransition.Unpack(42, transition.Packed));
    }

    /// <summary>
    /// Random histories through a small queue drained at random: applied as the log's script does
    /// (an online only for a user it has offline, an offline only for one it has online), the
    /// appended lines end every user on the state its whole history ends on, and each user's lines
    /// keep the order they were seen in.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Enqueue_RandomOverflows_TheLogEndsEachUserOnItsLatestState(int seed)
    {
        var random = new Random(seed);
        var log = Appender(capacity: 8);
        var seen = new Dictionary<ulong, List<PresenceTransition>>();
        var appended = new List<PresenceTransition>();
        long at = 1_000;
        for (int i = 0; i < 5_000; i++)
        {
            ulong user = (ulong)random.Next(1, 40);
            var kind = random.Next(3) switch { 0 => TransitionKind.Online, 1 => TransitionKind.Timeout, _ => TransitionKind.Signout };
            var transition = new PresenceTransition(user, kind, at += random.Next(0, 3));
            (seen.TryGetValue(user, out var list) ? list : seen[user] = []).Add(transition);
            log.Enqueue(transition);
            if (random.Next(4) == 0)
                appended.AddRange(Take(log, random.Next(0, 6)));
            if (random.Next(10) == 0)
                log.Release();
        }
        for (int round = 0; round < 1_000 && (log.Held > 0 || log.Queued > 0); round++)
        {
            appended.AddRange(Take(log, log.Queued));
            log.Release();
        }
        Assert.Equal(0, log.Held);
        Assert.True(_metrics.TransitionsHeld.Value > 100, "the queue overflowed often");

        var online = new Dictionary<ulong, bool>();
        foreach (var t in appended)
            online[t.UserId] = t.Kind == TransitionKind.Online;
        foreach (var (user, history) in seen)
        {
            Assert.Equal(history[^1].Kind == TransitionKind.Online, online[user]);
            var lines = appended.Where(t => t.UserId == user).ToList();
            Assert.Equal(history[^1], lines[^1]);
            Assert.True(IsSubsequence(lines, history), $"user {user}'s lines are some of its transitions, in order");
        }
        Assert.Equal(seen.Values.Sum(h => h.Count) - appended.Count, _metrics.TransitionsDropped.Value);
    }

    private static bool IsSubsequence(List<PresenceTransition> part, List<PresenceTransition> whole)
    {
        int i = 0;
        foreach (var t in whole)
        {
            if (i < part.Count && part[i] == t)
                i++;
        }
        return i == part.Count;
    }

    private static List<PresenceTransition> Take(EventLogAppender log, int count)
    {
        var taken = new List<PresenceTransition>();
        while (taken.Count < count && log.TryTake(out var transition))
            taken.Add(transition);
        return taken;
    }
}
