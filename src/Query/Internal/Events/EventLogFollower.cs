using Presence.Core;
using Presence.Hosting;
using StackExchange.Redis;

namespace Presence.Query.Internal.Events;

/// <summary>
/// The node's one reader of the store's events log: once started it reads the log page by page to
/// its end, handing each page to the <see cref="EventFeed"/>, then waits for a wake message from
/// the ingesters (or the poll interval, in case one is missed) and reads again. While the store is
/// away it retries with a capped backoff, logging once when it starts failing and once when it is
/// back.
/// </summary>
internal sealed class EventLogFollower : IAsyncDisposable
{
    /// <summary>Lines read per store call.</summary>
    public const int PageSize = 2_000;

    private readonly EventLogStore _log;
    private readonly EventFeed _feed;
    private readonly TimeSpan _pollInterval;
    private readonly QueryMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _lock = new(); // guards _loop
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    public EventLogFollower(EventLogStore log, EventFeed feed, TimeSpan pollInterval, QueryMetrics metrics, ILogger logger)
    {
        _log = log;
        _feed = feed;
        _pollInterval = pollInterval;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Starts following the log, once; later calls do nothing.</summary>
    public void EnsureStarted()
    {
        if (Volatile.Read(ref _loop) is not null)
            return;
        lock (_lock)
            _loop ??= Task.Run(RunAsync);
    }

    /// <summary>Completes once the log has been read to its end once; false after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout)
    {
        if (_ready.Task.IsCompleted)
            return true;
        return await Task.WhenAny(_ready.Task, Task.Delay(timeout)).ConfigureAwait(false) == _ready.Task;
    }

    /// <summary>Asks for a read of the log now.</summary>
    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already signalled.
            }
        }
    }

    private async Task RunAsync()
    {
        var stop = _stop.Token;
        var backoff = new Backoff(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        bool subscribed = false;
        bool failing = false;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (!subscribed)
                {
                    await _log.SubscribeAsync(Wake).ConfigureAwait(false);
                    subscribed = true;
                }
                await ReadToEndAsync().ConfigureAwait(false);
                _ready.TrySetResult();
                if (failing)
                {
                    failing = false;
                    QueryLog.EventFeedBack(_logger, _feed.Position);
                }
                backoff.Succeed();
                await _wake.WaitAsync(_pollInterval, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (!stop.IsCancellationRequested)
            {
                // Any failure, not only the store's own exception types: the feed is every stream's
                // source, and a loop that died here left every stream of the node silent for good.
                _metrics.EventFeedErrors.Inc();
                if (!failing)
                {
                    failing = true;
                    QueryLog.EventFeedFailing(_logger, e is RedisException or TimeoutException ? e.Message : $"{e.GetType().Name}: {e.Message}");
                }
                try
                {
                    await Task.Delay(backoff.Fail(), stop).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        if (subscribed)
        {
            try
            {
                await _log.UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (StoreClientFailure.Is(e))
            {
            }
        }
    }

    /// <summary>Reads pages and hands them to the feed until the feed is at the log's end.</summary>
    private async Task ReadToEndAsync()
    {
        while (true)
        {
            long after = _feed.Position;
            var read = await _log.ReadAsync(after, PageSize).ConfigureAwait(false);
            if (_feed.Take(read, after) == FeedStep.AtEnd)
                return;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        Task? loop;
        lock (_lock)
            loop = _loop;
        if (loop is not null)
            await loop.ConfigureAwait(false);
        _stop.Dispose();
        _wake.Dispose();
    }
}
