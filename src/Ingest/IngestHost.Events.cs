using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Transitions;
using StackExchange.Redis;

namespace Presence.Ingest;

/// <summary>Start-up, with --events on: the transition detector and the events log appender (docs/EVENTS.md), and the last seen writer behind it (<c>IngestHost.LastSeen.cs</c>); their stop is in <c>IngestHost.Stopping.cs</c>.</summary>
public sealed partial class IngestHost
{
    /// <summary>The events log appender, and the transition detector the flusher reports each write to, which feeds it.</summary>
    private void CreateEvents(IDatabase database)
    {
        var compaction = new HeapCompaction(_clock, Metrics, _logger); // after a cold start's burst, the GC's kept regions go back
        _eventLog = new EventLogAppender(database, _options.Prefix, TimeSpan.FromSeconds(_options.EventsRetentionSeconds), _clock, Metrics, _logger)
        {
            AnswerWithin = _store!.AnswerWithin,
            TtlMs = _options.TtlSeconds * 1000L,
            NumberedLines = _options.EventsNumberedLines,
            LastSeen = CreateLastSeen(database),
            BurstOver = () => compaction.Request(),
        };
        _transitions = new TransitionDetector(database, _options.Prefix, _options.TtlSeconds * 1000L, _clock.NowMs, _eventLog, Metrics, _logger, _store.AnswerWithin);
        IngestLog.EventsOn(_logger, _options.EventsRetentionSeconds);
    }

    /// <summary>Runs the appender, and the start-up sweep of the online set, whose users the detector then watches for expiry.</summary>
    private void StartEvents(IDatabase database)
    {
        if (_eventLog is null || _transitions is null)
            return;
        var flusher = _flusher!;
        _eventLog.PresenceLagMs = () => flusher.WriteLagMs; // presence writes first while they are behind
        _eventLogTask = Task.Run(() => _eventLog.RunAsync(_stopAppending.Token));
        var sweep = new OnlineSetSweep(database, _options.Prefix, _clock.Time, _store!.AnswerWithin);
        _transitions.Attach(sweep.Found);
        _sweepTask = Task.Run(() => sweep.RunAsync(_stopFlushing.Token));
        StartLastSeen(database);
    }
}
