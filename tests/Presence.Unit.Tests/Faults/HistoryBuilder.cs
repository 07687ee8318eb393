using Presence.Bench.Faults.History;

namespace Presence.Unit.Tests.Faults;

/// <summary>
/// Hand-made run histories for the checker's tests. Say what the run did — heartbeats, sign-outs, faults,
/// subscribers and their sessions — and <see cref="Build"/> derives the rest as a correct system would have
/// it (<see cref="ModelStore"/>: the log, its coverage, the store samples, the final store and batch answers);
/// a session's items are written as <see cref="Items"/> specs over that log. To break one rule, edit the
/// built history (<see cref="HistoryEdits"/>).
/// </summary>
internal sealed class HistoryBuilder
{
    private readonly List<HeartbeatSent> _heartbeats = [];
    private readonly List<FaultRecord> _faults = [];
    private readonly List<Subscriber> _subscribers = [];
    private readonly List<(int Subscriber, int Session, string Node, long ConnectedMs, long? EndedMs, ResumeKind Resume, string? LastEventId, int Debounce, ItemSpec[] Items)> _sessions = [];

    public long TtlMs { get; init; } = 5000;

    public long StartMs { get; init; } = 1000;

    public long EndMs { get; init; } = 30_000;

    public long SampleEveryMs { get; init; } = 500;

    public IReadOnlyList<string> Nodes { get; init; } = ["query-1", "query-2"];

    /// <summary>A heartbeat of <paramref name="user"/> sent every <paramref name="everyMs"/> from <paramref name="fromMs"/> through <paramref name="toMs"/>.</summary>
    public HistoryBuilder Heartbeats(ulong user, long fromMs, long toMs, long everyMs = 1000)
    {
        for (long t = fromMs; t <= toMs; t += everyMs)
            _heartbeats.Add(new HeartbeatSent(user, t, HeartbeatKind.Heartbeat, Dropped: false));
        return this;
    }

    public HistoryBuilder SignOut(ulong user, long sentMs)
    {
        _heartbeats.Add(new HeartbeatSent(user, sentMs, HeartbeatKind.SignOut, Dropped: false));
        return this;
    }

    public HistoryBuilder Fault(FaultKind kind, long startMs, long endMs, string target = "ingest-1")
    {
        _faults.Add(new FaultRecord(kind, target, startMs, endMs));
        return this;
    }

    public HistoryBuilder Subscriber(int id, params ulong[] watched)
    {
        _subscribers.Add(new Subscriber(id, watched));
        return this;
    }

    /// <summary>A session of <paramref name="subscriber"/> (numbered in the order added); <paramref name="endedMs"/> null: open at the end.</summary>
    public HistoryBuilder Session(int subscriber, string node, long connectedMs, long? endedMs, ResumeKind resume, string? lastEventId, params ItemSpec[] items) =>
        DebouncedSession(subscriber, 0, node, connectedMs, endedMs, resume, lastEventId, items);

    /// <summary>A session that asked for <c>debounce=<paramref name="seconds"/></c> (0: a plain one); its items as <see cref="DebouncedItems"/> make them.</summary>
    public HistoryBuilder DebouncedSession(int subscriber, int seconds, string node, long connectedMs, long? endedMs, ResumeKind resume, string? lastEventId, params ItemSpec[] items)
    {
        int number = _sessions.Count(s => s.Subscriber == subscriber) + 1;
        _sessions.Add((subscriber, number, node, connectedMs, endedMs, resume, lastEventId, seconds, items));
        return this;
    }

    public RunHistory Build()
    {
        var heartbeats = _heartbeats.OrderBy(h => h.SentMs).ThenBy(h => h.User).ToList();
        var store = new ModelStore(heartbeats, _faults, TtlMs, EndMs);
        var users = heartbeats.Select(h => h.User).Distinct().Order().ToList();
        var samples = new List<StoreSample>();
        for (long t = StartMs; t <= EndMs; t += SampleEveryMs)
        {
            foreach (ulong user in users)
            {
                var key = store.KeyAt(user, t);
                samples.Add(new StoreSample(t, user, key?.Value, key?.ExpireAt));
            }
        }
        var coverage = store.Epochs.Select(e => new LogCoverage(e, store.Log.Where(l => l.Epoch == e).Select(l => l.Seq).DefaultIfEmpty(0).Max())).ToList();
        var sessions = _sessions.Select(s =>
        {
            var watched = _subscribers.Single(x => x.Id == s.Subscriber).Watched;
            var items = s.Items.SelectMany(spec => spec(store, watched)).ToList();
            string? endReason = s.EndedMs is null ? null : "client";
            return new StreamSession(s.Subscriber, s.Session, s.Node, s.ConnectedMs, s.EndedMs, s.Resume, s.LastEventId, endReason, Slow: false, items, s.Debounce);
        }).ToList();
        var storeKeys = users.Select(u => (User: u, Key: store.KeyAt(u, EndMs))).Where(p => p.Key is not null).ToDictionary(p => p.User, p => p.Key!.Value.Value);
        var batch = Nodes.SelectMany(node => users.Select(u => new BatchAnswer(node, u, storeKeys.ContainsKey(u), storeKeys.TryGetValue(u, out long v) ? v : null))).ToList();
        long lastFaultEnded = _faults.Select(f => f.EndMs).DefaultIfEmpty(StartMs).Max();
        var info = new RunInfo(Seed: 19, TtlMs, StartMs, EndMs, lastFaultEnded, users, Nodes, "single");
        return new RunHistory(info, heartbeats, _faults.ToList(), _subscribers.ToList(), sessions, store.Log, coverage, samples,
            new FinalState(EndMs, storeKeys, EndMs, batch));
    }
}
