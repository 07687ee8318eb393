using System.Diagnostics;

namespace Presence.Ingest.Internal;

/// <summary>
/// Every flush interval: closes the coalescer's window, merges it into the pending set, and —
/// when no write is in flight and no backoff is running — writes a snapshot of everything
/// pending as one pipelined batch. At most one batch is in flight, so writes for a user can
/// never overtake each other; windows keep being merged while a slow store answers, so memory
/// stays bounded by --max-pending whatever the store does.
/// </summary>
internal sealed class Flusher
{
    private readonly Coalescer _coalescer;
    private readonly StoreWriter _writer;
    private readonly PendingSet _pending;
    private readonly IngestMetrics _metrics;
    private readonly IngestClock _clock;
    private readonly AdmissionControl _room;
    private readonly ILogger _logger;
    private readonly TimeSpan _interval;
    private readonly long _ttlMs;
    private readonly List<PendingWrite> _writes = [];
    private bool[] _ok = new bool[1024];
    private CoalescingWindow _spare = new(1024);
    private Backoff _backoff = new(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));
    private Task? _inFlight;
    private long _inFlightStarted;
    private long _nextAttemptMs;
    private bool _storeDown;

    public Flusher(Coalescer coalescer, StoreWriter writer, IngestOptions options, IngestMetrics metrics, IngestClock clock, ILogger logger,
        AdmissionControl room)
    {
        _room = room;
        _coalescer = coalescer;
        _writer = writer;
        _pending = new PendingSet(options.MaxPending);
        _metrics = metrics;
        _clock = clock;
        _logger = logger;
        _interval = TimeSpan.FromMilliseconds(options.FlushMs);
        _ttlMs = options.TtlSeconds * 1000L;
    }

    /// <summary>Users pending: those in the pending set, plus those in the open window.</summary>
    public long PendingUsers => _pending.Count + _coalescer.OpenCount;

    /// <summary>Flushes every interval until <paramref name="stop"/> is cancelled; then returns (see <see cref="DrainAsync"/>).</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(_interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
                Tick();
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// After receiving stopped and the coalescer drained: writes what is held, retrying until
    /// all is confirmed or <paramref name="timeout"/> passes. Returns the users still unwritten.
    /// </summary>
    public async Task<long> DrainAsync(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        _nextAttemptMs = 0; // a final flush does not wait out a backoff
        while (true)
        {
            if (_inFlight is not null)
            {
                var left = timeout - clock.Elapsed;
                if (left <= TimeSpan.Zero)
                    break;
                await Task.WhenAny(_inFlight, Task.Delay(left)).ConfigureAwait(false);
                if (!_inFlight.IsCompleted)
                    break;
            }
            Tick();
            if (_inFlight is null && PendingUsers == 0)
                break;
            if (clock.Elapsed >= timeout)
                break;
            if (_inFlight is null)
                await Task.Delay(20).ConfigureAwait(false); // backing off after a failure
        }
        return PendingUsers;
    }

    /// <summary>One flush step; runs on one thread at a time (the timer loop, then the drain).</summary>
    internal void Tick()
    {
        CoalescingWindow closed;
        long refused;
        using (_room.HoldForMerge())
        {
            closed = _coalescer.Swap(_spare);
            refused = _pending.Merge(closed);
        }
        closed.Clear();
        _spare = closed;
        if (refused > 0)
            _metrics.PendingFullDropped.Inc(refused);

        if (_inFlight is { IsCompleted: true })
            Complete();

        long now = _clock.NowMs;
        if (_inFlight is null && _pending.Count > 0 && now >= _nextAttemptMs)
            Start(now);

        _metrics.PendingUsers.Set(PendingUsers);
        _room.Signal(); // confirmed or expired users may have made room for waiting TCP connections
    }

    private void Start(long now)
    {
        long expired = _pending.Snapshot(_writes, now, _ttlMs);
        if (expired > 0)
            _metrics.UsersExpired.Inc(expired);
        if (_writes.Count == 0)
            return;
        if (_ok.Length < _writes.Count)
            _ok = new bool[Math.Max(_writes.Count, _ok.Length * 2)];
        _inFlightStarted = Stopwatch.GetTimestamp();
        _inFlight = _writer.WriteAsync(_writes, _ok);
    }

    private void Complete()
    {
        Debug.Assert(_inFlight is { IsCompleted: true });
        _inFlight = null;
        _metrics.FlushSeconds.Observe(Stopwatch.GetElapsedTime(_inFlightStarted).TotalSeconds);
        long ok = 0, failed = 0;
        for (int i = 0; i < _writes.Count; i++)
        {
            if (_ok[i])
            {
                _pending.Confirm(_writes[i]);
                ok++;
            }
            else
            {
                failed++;
            }
        }
        _metrics.WritesOk.Inc(ok);
        if (failed == 0)
        {
            if (_storeDown)
            {
                _storeDown = false;
                IngestLog.StoreRecovered(_logger, _backoff.Failures, _pending.Count);
            }
            _backoff.Succeed();
            _metrics.StoreUp.Set(1);
            return;
        }
        _metrics.WritesFailed.Inc(failed);
        _metrics.StoreUp.Set(0);
        var delay = _backoff.Fail();
        _nextAttemptMs = _clock.NowMs + (long)delay.TotalMilliseconds;
        if (!_storeDown || _backoff.Failures % 20 == 0)
            IngestLog.StoreWriteFailed(_logger, failed, _writes.Count, _pending.Count, delay.TotalMilliseconds);
        _storeDown = true;
    }
}
