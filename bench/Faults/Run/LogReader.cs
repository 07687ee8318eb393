using Presence.Bench.Faults.History;
using Presence.Core.Events;
using StackExchange.Redis;

namespace Presence.Bench.Faults.Run;

/// <summary>
/// Follows the store's events log through every epoch (every ~200 ms, read-only: it never names an
/// epoch itself), so the checker has the ground truth of transitions (<see cref="LogLine"/>) and how
/// far each epoch was read (<see cref="LogCoverage"/>). Only the judged users' lines are kept: the
/// background load's users (presence-loadgen, a disjoint id range) are not judged, and the run has
/// no record of their heartbeats to judge them by; coverage holds for every judged user's line.
/// </summary>
internal sealed class LogReader(Store store, IReadOnlySet<ulong> judged)
{
    // {epoch or '', last seq, first seq held, lines after ARGV[1] (at most ARGV[2])…}
    private const string ReadScript = """
        local epoch = redis.call('GET', KEYS[3]) or ''
        local last = tonumber(redis.call('GET', KEYS[1]) or '0')
        local len = redis.call('LLEN', KEYS[2])
        local first = last - len + 1
        local after = tonumber(ARGV[1])
        local result = {epoch, last, first}
        if after >= last then return result end
        local from = math.max(after + 1, first) - first
        local lines = redis.call('LRANGE', KEYS[2], from, from + tonumber(ARGV[2]) - 1)
        for i = 1, #lines do result[#result + 1] = lines[i] end
        return result
        """;

    private readonly EventLogKeys _keys = new("presence:");
    private readonly List<LogLine> _lines = [];
    private readonly Dictionary<string, long> _coverage = [];
    private string? _epoch;
    private long _readThrough;

    /// <summary>Lines found missing (trimmed before they were read): the coverage claim would be wrong, so they are reported.</summary>
    public long Gaps { get; private set; }

    /// <summary>Reads that failed (the store away, a connection torn down), and the latest failure's type and message.</summary>
    public long ReadFailures { get; private set; }

    public string? LastFailure { get; private set; }

    /// <summary>The store's epoch and last seq at the latest read.</summary>
    public (string? Epoch, long Last) Head { get; private set; }

    public IReadOnlyList<LogLine> Lines
    {
        get
        {
            lock (_lines)
                return [.. _lines];
        }
    }

    public IReadOnlyList<LogCoverage> Coverage
    {
        get
        {
            lock (_lines)
                return [.. _coverage.Select(c => new LogCoverage(c.Key, c.Value))];
        }
    }

    /// <summary>The log lines read so far of one epoch (for the end's wait).</summary>
    public IReadOnlyList<LogLine> LinesOf(string epoch)
    {
        lock (_lines)
            return [.. _lines.Where(l => l.Epoch == epoch)];
    }

    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(200));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                try
                {
                    await ReadAllAsync();
                }
                catch (Exception e) when (!(e is OperationCanceledException && stop.IsCancellationRequested))
                {
                    // The store away: read again next tick. Any failure but the stop's: StackExchange.Redis also throws
                    // InvalidOperationException 'Reading is not allowed after reader was completed' from a connection a fault
                    // tore down (the fifth 30-minute run ended on it, unjudged), and TaskCanceledException for a command a
                    // partition cut off, which the catch below took for the run's end: from then on only the end's catch-up
                    // read the log, every 30-minute run through run 31 had no truth for its middle 20-odd minutes, and run 31
                    // failed on lines of its last epoch trimmed (300 s) before that read (FAULTS.md, run 31).
                    ReadFailures++;
                    string message = e.Message.Split('\n')[0];
                    LastFailure = $"{e.GetType().Name}: {(message.Length > 160 ? message[..160] + "…" : message)}";
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the end of the run
        }
    }

    /// <summary>Reads until the reader is at the log's end.</summary>
    public async Task ReadAllAsync()
    {
        while (true)
        {
            var result = (RedisResult[])(await store.Db.ScriptEvaluateAsync(ReadScript, [_keys.Seq, _keys.Log, _keys.Epoch],
                [_epoch is null ? 0 : _readThrough, 1000]).WaitAsync(TimeSpan.FromSeconds(10)))!; // bounded: StackExchange.Redis#2742
            string epoch = (string)result[0]!;
            long last = (long)result[1];
            long first = (long)result[2];
            Head = (epoch.Length == 0 ? null : epoch, last);
            if (epoch.Length == 0)
                return; // no log yet (a fresh store before the first append)
            if (epoch != _epoch)
            {
                lock (_lines)
                {
                    _epoch = epoch;
                    _readThrough = _coverage.GetValueOrDefault(epoch);
                }
                continue;
            }
            if (result.Length == 3)
            {
                lock (_lines)
                    _coverage[epoch] = _readThrough;
                return;
            }
            if (first > _readThrough + 1)
                Gaps += first - _readThrough - 1;
            lock (_lines)
            {
                for (int i = 3; i < result.Length; i++)
                {
                    // Lines are consecutive from max(after + 1, first): a line that does not parse still moves the reader on.
                    _readThrough = Math.Max(_readThrough + 1, first + i - 3);
                    if (!EventLogLine.TryParse((byte[])result[i]!, _readThrough, out var line))
                        continue;
                    if (!judged.Contains(line.UserId))
                        continue;
                    _lines.Add(new LogLine(epoch, line.Seq, line.IsOnline, line.UserId, line.AtMs,
                        line.Kind switch { TransitionKind.Timeout => "timeout", TransitionKind.Signout => "signout", _ => null }));
                }
                _coverage[epoch] = _readThrough;
            }
        }
    }
}
