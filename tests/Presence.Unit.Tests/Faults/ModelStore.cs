using Presence.Bench.Faults.History;

namespace Presence.Unit.Tests.Faults;

/// <summary>
/// A correct store and ingest, as the checker's rules describe them, for hand-made histories: each record is
/// received 1 ms after it was sent and written at once (value = receive, expiry = receive + ttl); the events
/// log gets an online line when a user's key appears, an offline <c>timeout</c> at its receive + ttl, an offline
/// <c>signout</c> when a sign-out deletes it. A <see cref="FaultKind.StoreRestartEmpty"/> fault wipes every key
/// at its start, loses what is received until its end, and starts a new epoch (e1, e2, …).
/// </summary>
internal sealed class ModelStore
{
    public const long ReceiveDelayMs = 1;

    private readonly long _ttlMs;
    private readonly List<FaultRecord> _wipes;
    // Per user: each change of its key, in time order (value null: the key deleted).
    private readonly Dictionary<ulong, List<(long At, long? Value)>> _keys = [];

    public ModelStore(IReadOnlyList<HeartbeatSent> heartbeats, IReadOnlyList<FaultRecord> faults, long ttlMs, long endMs)
    {
        _ttlMs = ttlMs;
        _wipes = faults.Where(f => f.Kind == FaultKind.StoreRestartEmpty).OrderBy(f => f.StartMs).ToList();
        var transitions = new List<(string Epoch, long At, ulong User, bool Online, string? Reason)>();
        foreach (var user in heartbeats.Select(h => h.User).Distinct())
        {
            var keys = _keys[user] = [];
            // (time, order, kind): wipes before receives of the same ms.
            var occurrences = heartbeats.Where(h => h.User == user && !h.Dropped)
                .Select(h => (Time: h.SentMs + ReceiveDelayMs, Order: 1, Kind: (HeartbeatKind?)h.Kind))
                .Concat(_wipes.Select(w => (Time: w.StartMs, Order: 0, Kind: (HeartbeatKind?)null)))
                .OrderBy(o => o.Time).ThenBy(o => o.Order);
            long? value = null;
            foreach (var (time, _, kind) in occurrences)
            {
                if (value is { } v && v + ttlMs <= time)
                {
                    transitions.Add((EpochAt(v + ttlMs), v + ttlMs, user, false, "timeout"));
                    value = null;
                }
                if (kind is null)
                {
                    if (value is not null)
                        keys.Add((time, null));
                    value = null;
                    continue;
                }
                if (_wipes.Any(w => time >= w.StartMs && time <= w.EndMs))
                    continue;
                if (kind == HeartbeatKind.Heartbeat)
                {
                    if (value is null)
                        transitions.Add((EpochAt(time), time, user, true, null));
                    value = time;
                    keys.Add((time, time));
                }
                else if (value is not null)
                {
                    transitions.Add((EpochAt(time), time, user, false, "signout"));
                    value = null;
                    keys.Add((time, null));
                }
            }
            if (value is { } last && last + ttlMs <= endMs)
                transitions.Add((EpochAt(last + ttlMs), last + ttlMs, user, false, "timeout"));
        }
        var log = new List<LogLine>();
        foreach (var epoch in Epochs)
        {
            long seq = 0;
            foreach (var t in transitions.Where(t => t.Epoch == epoch).OrderBy(t => t.At).ThenBy(t => t.User))
                log.Add(new LogLine(epoch, ++seq, t.Online, t.User, t.At, t.Reason));
        }
        Log = log;
    }

    /// <summary>e1, then one more per wipe.</summary>
    public IEnumerable<string> Epochs => Enumerable.Range(1, _wipes.Count + 1).Select(i => $"e{i}");

    public IReadOnlyList<LogLine> Log { get; }

    /// <summary>Whether the log has the user online at <c>epoch-seq</c>.</summary>
    public bool OnlineAt(string epoch, ulong user, long seq) =>
        Log.LastOrDefault(l => l.Epoch == epoch && l.User == user && l.Seq <= seq) is { Online: true };

    /// <summary>The user's key at <paramref name="t"/>: its value and expiry, or null.</summary>
    public (long Value, long ExpireAt)? KeyAt(ulong user, long t)
    {
        if (!_keys.TryGetValue(user, out var keys))
            return null;
        var last = keys.LastOrDefault(k => k.At <= t);
        return last.Value is { } v && t < v + _ttlMs ? (v, v + _ttlMs) : null;
    }

    private string EpochAt(long t) => $"e{1 + _wipes.Count(w => w.StartMs <= t)}";
}
