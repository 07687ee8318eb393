using Presence.Ingest.Internal.LastSeen;
using StackExchange.Redis;

namespace Presence.Ingest;

/// <summary>Last seen (--last-seen-days, with --events on): the writer behind the events log, and the background trim.</summary>
public sealed partial class IngestHost
{
    private LastSeenWriter? _lastSeen;
    private Task? _lastSeenTask;
    private Task? _lastSeenTrimTask;
    private readonly CancellationTokenSource _stopLastSeen = new();

    /// <summary>The writer the events log hands its offlines to, or null when none is kept (0 days). Call before the appender is made.</summary>
    private LastSeenWriter? CreateLastSeen(IDatabase database)
    {
        if (_options.LastSeenDays == 0)
            return null;
        _lastSeen = new LastSeenWriter(database, _options.Prefix, _options.LastSeenDays, _options.TtlSeconds * 1000L, _clock, Metrics, _logger)
        {
            AnswerWithin = _store!.AnswerWithin,
        };
        IngestLog.LastSeenOn(_logger, _options.LastSeenDays);
        return _lastSeen;
    }

    /// <summary>Starts the writer's loop and the trim (the trim also with 0 days: it forgets what was kept).</summary>
    private void StartLastSeen(IDatabase database)
    {
        if (_lastSeen is not null)
            _lastSeenTask = Task.Run(() => _lastSeen.RunAsync(_stopLastSeen.Token));
        var trim = new LastSeenTrim(database, _options.Prefix, _options.LastSeenDays, _clock, Metrics) { AnswerWithin = _store!.AnswerWithin };
        _lastSeenTrimTask = Task.Run(() => trim.RunAsync(_stopFlushing.Token));
    }

    /// <summary>After the events log's last append: writes what is queued, within what is left of <paramref name="deadlineMs"/> (Environment.TickCount64).</summary>
    private async Task StopLastSeenAsync(long deadlineMs)
    {
        if (_lastSeenTrimTask is not null)
            await _lastSeenTrimTask.ConfigureAwait(false); // _stopFlushing is cancelled by now
        if (_lastSeen is null || _lastSeenTask is null)
            return;
        _lastSeen.Complete();
        long left = Math.Max(0, deadlineMs - Environment.TickCount64);
        if (await Task.WhenAny(_lastSeenTask, Task.Delay(TimeSpan.FromMilliseconds(left))).ConfigureAwait(false) != _lastSeenTask)
            await _stopLastSeen.CancelAsync().ConfigureAwait(false);
        await _lastSeenTask.ConfigureAwait(false);
    }

    /// <summary>Tests: trims one bucket now, as the background trim does in turn.</summary>
    internal Task<long?> TrimLastSeenForTestsAsync(int bucket) =>
        new LastSeenTrim(_store!.Multiplexer.GetDatabase(), _options.Prefix, _options.LastSeenDays, _clock, Metrics).TrimAsync(bucket, CancellationToken.None);
}
