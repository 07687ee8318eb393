using Microsoft.Extensions.Logging.Abstractions;
using Presence.Core;
using Presence.Core.Events;
using Presence.Ingest;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Transitions;
using Presence.Integration.Tests.Events;
using Presence.Testing;
using Presence.Testing.StandIns;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Ingest;

/// <summary>
/// The events log queue overflowing while the store is paused (a queue of 4 here, 1M in the
/// service), against a real redis-server and the real append script: every user's lines still
/// alternate, the log ends each user on its latest state (online in the log exactly when its key
/// exists), and an online that found the queue full is in the log.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class EventLogOverflowTests
{
    private const int QueueCapacity = 4;

    /// <summary>
    /// User 100's line and <see cref="History"/>'s, but user 7's dropped timeout and its second online (the log has it
    /// online), and of user 8's three only its online (its timeout dropped, its relayed online not after a timeout).
    /// </summary>
    private const int AppendedLines = 12;

    [Fact]
    public async Task StoreClientThrowsWhatItShouldNot_AppendCountedFailed_Retried_TheLineLands()
    {
        // After a fault tore its connection down the store client can throw InvalidOperationException; an
        // append loop that let it through ended for good, and the ingester's transitions were never appended again.
        await using var run = await AppenderRun.StartAsync(db => FailingDatabase.Over(db, nameof(IDatabase.ScriptEvaluateAsync), failures: 2));
        run.Log.Enqueue(new(100, TransitionKind.Online, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()));
        await Eventually.Until(async () => await run.Store.ListLengthAsync(run.Keys.Log) == 1, "the online line is in the log");
        Assert.Equal(2, run.Metrics.EventLogAppends.WithLabels("failed").Value); // counted before the attempt that landed
        // Counted after the call's answer, which may reach this test's read of the log first (one connection).
        await Eventually.Equal(1.0, () => run.Metrics.EventLogAppends.WithLabels("ok").Value, "the append counted ok");
        Assert.False(run.Appending.IsCompleted);
    }

    [Fact]
    public async Task AppendFailing_TheBatchBeingRetried_CountsInTheBacklog_UntilItLands()
    {
        // The backlog read 0 through a whole outage once the appender had taken the queue into its batch: the
        // fault-schedule run's end, which waits for every ingester's backlog to be 0, judged the log before it had all.
        await using var run = await AppenderRun.StartAsync(db => FailingDatabase.Over(db, nameof(IDatabase.ScriptEvaluateAsync), failures: int.MaxValue));
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        run.Log.Enqueue(new(100, TransitionKind.Online, now));
        run.Log.Enqueue(new(101, TransitionKind.Online, now));
        await Eventually.Until(() => run.Metrics.EventLogAppends.WithLabels("failed").Value >= 1, "an append failed");
        Assert.InRange(run.Log.Queued, 0, 1); // both taken into the batch being retried, or only 100 if the loop woke between the two
        run.Log.PublishBacklog();
        Assert.Equal(2, run.Metrics.EventLogBacklog.Value);

        ((FailingDatabase)(object)run.Database).Failures = 0; // the store is back
        await Eventually.Until(async () => await run.Store.ListLengthAsync(run.Keys.Log) == 2, "both lines are in the log");
        await Eventually.Until(() => { run.Log.PublishBacklog(); return run.Metrics.EventLogBacklog.Value == 0; }, "the backlog is 0");
    }

    [Fact]
    public async Task QueueOverflowsWhileTheStoreIsPaused_HeldTransitionsAppendedWhenItHasRoom_TheLogEndsOnTheStoresState()
    {
        await using var run = await AppenderRun.StartAsync(queueCapacity: QueueCapacity);
        var (log, db, prefix) = (run.Log, run.Store, run.Prefix);
        long t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var truth = await OverflowWhilePausedAsync(run, t);
        Assert.Equal(QueueCapacity, log.Queued);
        int heldWhilePaused = log.Held;
        long droppedWhilePaused = (long)run.Metrics.TransitionsDropped.Value;

        // The keys as the store has them once the store is back (online exactly while a key exists).
        run.Server.Resume();
        await SetKeysAsync(db, prefix, truth, t);
        // The flusher thread releases held users each tick; here the test is that thread.
        await Eventually.Until(() =>
        {
            log.Release();
            return log.Held == 0 && log.Queued == 0;
        }, "every held user went into the queue and the queue was taken", TimeSpan.FromSeconds(60));
        log.Complete(); // nothing is held any more: the appender returns once what it took is appended
        await run.Appending.WaitAsync(TimeSpan.FromSeconds(60));
        var lines = await ReadLog(db, prefix);

        await AssertLogMatchesStore(db, prefix, lines, truth);
        Assert.Equal(AppendedLines, lines.Count);
        Assert.Equal([TransitionKind.Online], Kinds(lines, 5));                          // its online found the queue full
        Assert.Equal([TransitionKind.Online, TransitionKind.Timeout], Kinds(lines, 6));  // both held: the period is shown
        Assert.Equal([TransitionKind.Online, TransitionKind.Timeout], Kinds(lines, 1));  // the timeout held: not left online
        Assert.Equal([TransitionKind.Online, TransitionKind.Signout], Kinds(lines, 2));
        Assert.Equal([TransitionKind.Online], Kinds(lines, 7)); // online, (timeout dropped), online: one online line
        Assert.Equal([TransitionKind.Online], Kinds(lines, 8)); // online, (timeout dropped), relayed online: dropped by the log, online still
        Assert.Equal(6, heldWhilePaused); // users 5, 6, 1, 7, 2, 8: what a full queue used to drop
        Assert.Equal(2, droppedWhilePaused); // users 7's and 8's timeouts, each between its first and latest held
    }

    [Fact]
    public async Task Complete_WhileUsersAreHeld_AppendsThemAfterTheQueue()
    {
        await using var run = await AppenderRun.StartAsync(queueCapacity: QueueCapacity);
        var (log, db, prefix) = (run.Log, run.Store, run.Prefix);
        long t = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var truth = await OverflowWhilePausedAsync(run, t);
        int heldWhilePaused = log.Held;

        log.Complete(); // stopping: no tick releases them any more
        run.Server.Resume();
        await run.Appending.WaitAsync(TimeSpan.FromSeconds(60));

        var lines = await ReadLog(db, prefix);
        await SetKeysAsync(db, prefix, truth, t);
        await AssertLogMatchesStore(db, prefix, lines, truth);
        Assert.Equal(AppendedLines, lines.Count);
        Assert.Equal(6, heldWhilePaused);
    }

    /// <summary>
    /// Pauses the store, lets the appender take user 100's online into a call that waits on it, then queues
    /// <see cref="History"/> (4 fill the queue, the rest are held) and user 8's timeout and relayed online
    /// behind its held online (<see cref="EventLogAppender.EnqueuePair"/>); returns each user's last state.
    /// </summary>
    private static async Task<Dictionary<ulong, bool>> OverflowWhilePausedAsync(AppenderRun run, long t)
    {
        var truth = new Dictionary<ulong, bool>();
        run.Server.Pause();
        Enqueue(run.Log, truth, new(100, TransitionKind.Online, t));
        await Eventually.Until(() => run.Log.Queued == 0, "the appender took its first batch (and waits on the paused store)");
        foreach (var transition in History(t))
            Enqueue(run.Log, truth, transition);
        run.Log.EnqueuePair(new(8, TransitionKind.Timeout, t + 30_300), new(8, TransitionKind.Online, t + 31_000, Relayed: true));
        truth[8] = true; // online at the other ingester
        return truth;
    }

    private static async Task SetKeysAsync(IDatabase db, string prefix, Dictionary<ulong, bool> truth, long t)
    {
        foreach (var (user, online) in truth)
        {
            if (online)
                await db.StringSetAsync(PresenceKeys.Format(prefix, user), t, TimeSpan.FromMinutes(5));
        }
    }

    /// <summary>After user 100's online (taken by the appender): 4 fill the queue, the rest find it full (user 8's online the last).</summary>
    private static PresenceTransition[] History(long t) =>
    [
        new(1, TransitionKind.Online, t), new(2, TransitionKind.Online, t), new(3, TransitionKind.Online, t), new(4, TransitionKind.Online, t),
        new(5, TransitionKind.Online, t + 100),
        new(6, TransitionKind.Online, t + 100), new(6, TransitionKind.Timeout, t + 30_100),
        new(1, TransitionKind.Timeout, t + 30_000),
        new(7, TransitionKind.Online, t + 200), new(7, TransitionKind.Timeout, t + 30_200), new(7, TransitionKind.Online, t + 40_000),
        new(2, TransitionKind.Signout, t + 5_000),
        new(8, TransitionKind.Online, t + 300),
    ];

    private static void Enqueue(EventLogAppender log, Dictionary<ulong, bool> truth, PresenceTransition transition)
    {
        log.Enqueue(transition);
        truth[transition.UserId] = transition.Kind == TransitionKind.Online;
    }

    private static Task<List<EventLogLine>> ReadLog(IDatabase db, string prefix) => EventLogLines.ReadAsync(db, new EventLogKeys(prefix));

    private static TransitionKind[] Kinds(List<EventLogLine> lines, ulong user) => lines.Where(l => l.UserId == user).Select(l => l.Kind).ToArray();

    /// <summary>Per user: lines alternate from online, <c>at</c> never goes back, and the last says whether its key exists.</summary>
    private static async Task AssertLogMatchesStore(IDatabase db, string prefix, List<EventLogLine> lines, Dictionary<ulong, bool> truth)
    {
        Assert.Equal(lines.Select(l => l.Seq).Order(), lines.Select(l => l.Seq));
        foreach (var user in truth.Keys)
        {
            var own = lines.Where(l => l.UserId == user).ToList();
            Assert.NotEmpty(own);
            for (int i = 0; i < own.Count; i++)
            {
                Assert.Equal(i % 2 == 0, own[i].IsOnline);
                if (i > 0)
                    Assert.True(own[i].AtMs >= own[i - 1].AtMs, $"user {user}: at went back at line {own[i].Seq}");
            }
            bool keyExists = await db.KeyExistsAsync(PresenceKeys.Format(prefix, user));
            Assert.True(own[^1].IsOnline == keyExists, $"user {user}: the log ends {(own[^1].IsOnline ? "online" : "offline")}, its key {(keyExists ? "exists" : "is gone")}");
        }
    }

    /// <summary>A redis-server of its own, and an appender over it running its loop (stopped, and the store resumed, on dispose).</summary>
    private sealed class AppenderRun : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();

        private AppenderRun(RedisServer server, ConnectionMultiplexer mux, IDatabase database, int queueCapacity)
        {
            Server = server;
            Mux = mux;
            Database = database;
            Log = new EventLogAppender(database, Prefix, TimeSpan.FromHours(1), new IngestClock(), Metrics, NullLogger.Instance, queueCapacity);
            Appending = Task.Run(() => Log.RunAsync(_stop.Token));
        }

        public RedisServer Server { get; }

        public ConnectionMultiplexer Mux { get; }

        /// <summary>What the appender writes through (the store, or a stand-in over it).</summary>
        public IDatabase Database { get; }

        /// <summary>The store itself, for the test's own reads and writes.</summary>
        public IDatabase Store => Mux.GetDatabase();

        public string Prefix { get; } = TestKeys.Prefix();

        public EventLogKeys Keys => new(Prefix);

        public IngestMetrics Metrics { get; } = new();

        public EventLogAppender Log { get; }

        public Task Appending { get; }

        public static async Task<AppenderRun> StartAsync(Func<IDatabase, IDatabase>? through = null, int queueCapacity = EventLogAppender.Capacity)
        {
            var server = RedisServer.Start();
            try
            {
                var mux = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
                var db = mux.GetDatabase();
                return new AppenderRun(server, mux, through is null ? db : through(db), queueCapacity);
            }
            catch
            {
                server.Dispose();
                throw;
            }
        }

        public async ValueTask DisposeAsync()
        {
            Server.Resume();
            await _stop.CancelAsync();
            await Appending.WaitAsync(TimeSpan.FromSeconds(60));
            _stop.Dispose();
            await Mux.DisposeAsync();
            Server.Dispose();
        }
    }
}
