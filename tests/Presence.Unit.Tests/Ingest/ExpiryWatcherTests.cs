using Microsoft.Extensions.Logging.Abstractions;
using Presence.Core.Events;
using Presence.Ingest;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Transitions;
using Presence.Testing.StandIns;
using StackExchange.Redis;

namespace Presence.Unit.Tests.Ingest;

/// <summary>
/// What each answer of an expiry check does (<see cref="ExpiryWatcher"/>, against a scripted GET).
/// </summary>
public sealed class ExpiryWatcherTests
{
    private const long Now = 1_750_000_000_000;

    private readonly IngestMetrics _metrics = new();

    [Fact]
    public void Check_KeyGone_TimeoutAtReceivePlusTtl_AndTheUserIsLetGo()
    {
        var (watcher, tracker, sink, script) = Scripted();
        tracker.Set(7, Now); // this ingester wrote 7's key, received at Now

        watcher.Tick(Now + 29_999); // not due yet
        Assert.Empty(script.Gets);
        watcher.Tick(Now + 30_400); // due, seen at the first tick since (a tick can come late)
        Assert.Equal(["presence:7"], script.Gets);
        watcher.TakeAnswers();

        Assert.Equal([new(7, TransitionKind.Timeout, Now + 30_000)], sink.Take()); // at receive + ttl, not when it was seen
        Assert.False(tracker.TryGet(7, out _));
        watcher.Tick(Now + 31_000);
        Assert.Single(script.Gets); // let go: never checked again
    }

    [Fact]
    public void Check_SameValue_TheKeyOutlivesItsTime_LookedAtAgainNextTick()
    {
        var (watcher, tracker, sink, script) = Scripted();
        tracker.Set(7, Now);
        script.Get = _ => Now; // its write landed a little after its receive: the key expires a little later

        watcher.Tick(Now + 30_000);
        watcher.TakeAnswers();
        Assert.Empty(sink.Take());
        Assert.True(tracker.TryGet(7, out long written));
        Assert.Equal(Now, written);

        watcher.Tick(Now + 30_010); // the next tick looks again
        Assert.Equal(2, script.Gets.Count);
        script.Get = _ => RedisValue.Null;
        watcher.TakeAnswers();
        watcher.Tick(Now + 30_020);
        Assert.Equal(3, script.Gets.Count);
        watcher.TakeAnswers();
        Assert.Equal([new(7, TransitionKind.Timeout, Now + 30_000)], sink.Take());
    }

    [Fact]
    public void Check_NewerValue_AnotherIngesterWatchesTheUser_LetGoWithoutAnEvent()
    {
        var (watcher, tracker, sink, script) = Scripted();
        tracker.Set(7, Now);
        tracker.Set(8, Now);
        // 7 was written by another ingester within its time (no lapse); 8 only after its key lapsed.
        script.Get = key => key == "presence:7" ? Now + 20_000 : Now + 45_000;

        watcher.Tick(Now + 30_000);
        watcher.TakeAnswers();

        Assert.Equal(0, tracker.Count);
        Assert.Equal([new(8, TransitionKind.Timeout, Now + 30_000), new(8, TransitionKind.Online, Now + 45_000, Relayed: true)], sink.Take());
        watcher.Tick(Now + 100_000);
        Assert.Equal(2, script.Gets.Count); // neither is checked again
    }

    [Fact]
    public async Task Check_NeverAnswered_FailsAfterTheBound_AndTheUserIsCheckedAgain()
    {
        // StackExchange.Redis can leave a GET's task unanswered forever when a connection fails under
        // it (StackExchange.Redis#2742): unbounded, no expiry would ever be checked again.
        var (watcher, tracker, sink, script) = Scripted(answerWithin: TimeSpan.FromMilliseconds(50));
        tracker.Set(7, Now);
        script.Unanswered = true;

        watcher.Tick(Now + 30_000);
        Assert.Single(script.Gets);
        // The check and the orphan adoption of that tick both go unanswered; each is given up after the
        // bound, on its own time (on a loaded machine the second may end a little after the first).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (watcher.InFlight is { } inFlight && DateTime.UtcNow < deadline)
        {
            await Task.WhenAny(inFlight, Task.Delay(TimeSpan.FromSeconds(30)));
            watcher.TakeAnswers();
        }
        Assert.True(watcher.InFlight is null, "an unanswered call is never given up");
        script.Unanswered = false;
        Assert.Empty(sink.Take());

        watcher.Tick(Now + 60_000); // after the failed round's back-off: checked again, now answered
        Assert.Equal(2, script.Gets.Count);
        watcher.TakeAnswers();
        Assert.Equal([new(7, TransitionKind.Timeout, Now + 30_000)], sink.Take());
    }

    [Theory]
    [InlineData("invalid-operation")] // what StackExchange.Redis throws after a fault tore its connection down
    [InlineData("disposed")]
    [InlineData("redis")]
    public async Task HandOver_StoreClientFails_NoneCountedHandedOver_AndTheStopGoesOn(string failure)
    {
        var (watcher, tracker, _, script) = Scripted();
        tracker.Set(7, Now);
        tracker.Set(8, Now);
        script.AddFailure = failure switch
        {
            "invalid-operation" => new InvalidOperationException("Reading is not allowed after reader was completed."),
            "disposed" => new ObjectDisposedException("ConnectionMultiplexer"),
            _ => new RedisConnectionException(ConnectionFailureType.SocketClosed, "closed"),
        };

        int handedOver = await watcher.HandOverAsync(TimeSpan.FromSeconds(30)); // an exception here would end the ingester's stop

        Assert.Equal(0, handedOver);
    }

    private (ExpiryWatcher Watcher, ExpiryTracker Tracker, RecordedTransitions Sink, ScriptedDatabase Script) Scripted(TimeSpan? answerWithin = null)
    {
        var (database, script) = ScriptedDatabase.Create();
        var tracker = new ExpiryTracker(Now);
        var sink = new RecordedTransitions();
        var watcher = new ExpiryWatcher(database, "presence:", 30_000, tracker, sink, _metrics, NullLogger.Instance) { AnswerWithin = answerWithin ?? AnswerBound.Default };
        return (watcher, tracker, sink, script);
    }
}
