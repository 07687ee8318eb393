using System.Threading.Channels;
using Presence.Ingest.Internal.Flush;
using Presence.Ingest.Internal.Infrastructure;
using StackExchange.Redis;

namespace Presence.Ingest.Internal.Transitions;

/// <summary>
/// The transitions stage as the flusher sees it (<see cref="IWriteObserver"/>): sees presence
/// transitions from what the flusher's writes answer (<see cref="TransitionClassifier"/>, no store
/// command per heartbeat) and from the expiry of the keys this ingester wrote last
/// (<see cref="ExpiryWatcher"/>), over one expiry tracker, and sends them to the events log.
/// Owned by the flusher thread.
/// </summary>
internal sealed class TransitionDetector : IWriteObserver
{
    private readonly EventLogAppender _log;
    private readonly TransitionClassifier _classifier;
    private readonly ExpiryWatcher _watcher;

    /// <param name="answerWithin">How long the watcher's store calls are waited for before they count as failed (default <see cref="AnswerBound.Default"/>).</param>
    public TransitionDetector(IDatabase database, string prefix, long ttlMs, long nowMs, EventLogAppender log, IngestMetrics metrics, ILogger logger,
        TimeSpan? answerWithin = null)
    {
        _log = log;
        Tracker = new ExpiryTracker(nowMs);
        _classifier = new TransitionClassifier(Tracker, ttlMs, log);
        _watcher = new ExpiryWatcher(database, prefix, ttlMs, Tracker, log, metrics, logger) { AnswerWithin = answerWithin ?? AnswerBound.Default };
    }

    /// <summary>The users whose key this ingester wrote last, shared by the classifier and the watcher.</summary>
    public ExpiryTracker Tracker { get; }

    public Func<ulong, bool>? WriteOutstanding { set => _watcher.WriteOutstanding = value; }

    public Task? InFlight => _watcher.InFlight;

    /// <summary>Takes what a start-up sweep of the log's online set finds (<see cref="OnlineSetSweep"/>).</summary>
    public void Attach(ChannelReader<SweptUser> swept) => _watcher.Attach(swept);

    public bool TryGetWritten(ulong userId, out long writtenMs) => Tracker.TryGet(userId, out writtenMs);

    public void Prefetch(ulong userId) => Tracker.Prefetch(userId);

    public void OnWritten(in PendingWrite write, WriteOutcome outcome, long nowMs) => _classifier.OnWritten(write, outcome, nowMs);

    public void OnUnanswered(in PendingWrite write) => _classifier.OnUnanswered(write);

    /// <summary>Each flusher tick: held transitions into the log's queue, the sweep's finds, then the expiry checks.</summary>
    public void Tick(long nowMs)
    {
        _log.Release();
        _log.PublishBacklog();
        _watcher.TakeSwept(nowMs);
        _classifier.Forget(nowMs);
        _watcher.Tick(nowMs);
    }

    public void TakeAnswers() => _watcher.TakeAnswers();

    /// <summary>When the ingester stops: hands the users it watches over to the ingesters still running (<see cref="ExpiryWatcher.HandOverAsync"/>).</summary>
    public Task<int> HandOverAsync(TimeSpan timeout) => _watcher.HandOverAsync(timeout);
}
