using Presence.Bench.Faults.History;

namespace Presence.Unit.Tests.Faults;

/// <summary>Edits of a built history, each the smallest change that breaks (or exercises) one rule.</summary>
internal static class HistoryEdits
{
    /// <summary>Replaces the items of one session (subscriber, session number).</summary>
    public static RunHistory WithItems(this RunHistory history, int subscriber, int session, Func<IReadOnlyList<StreamItem>, IEnumerable<StreamItem>> edit) =>
        history.WithSession(subscriber, session, s => s with { Items = edit(s.Items).ToList() });

    public static RunHistory WithSession(this RunHistory history, int subscriber, int session, Func<StreamSession, StreamSession> edit)
    {
        Assert.Contains(history.Sessions, s => s.Subscriber == subscriber && s.Session == session);
        return history with { Sessions = history.Sessions.Select(s => s.Subscriber == subscriber && s.Session == session ? edit(s) : s).ToList() };
    }

    /// <summary>Changes the item with id <paramref name="eventId"/> of one session (null: removes it).</summary>
    public static RunHistory WithItem(this RunHistory history, int subscriber, int session, string eventId, Func<StreamItem, StreamItem?> edit) =>
        history.WithItems(subscriber, session, items =>
        {
            Assert.Contains(items, i => i.EventId == eventId);
            return items.Select(i => i.EventId == eventId ? edit(i) : i).OfType<StreamItem>();
        });

    /// <summary>Changes the log line <c>epoch-seq</c> and, the same way, every event any subscriber received with that id (a log the system wrote wrong).</summary>
    public static RunHistory WithLine(this RunHistory history, string epoch, long seq, Func<LogLine, LogLine> edit)
    {
        Assert.Contains(history.Log, l => l.Epoch == epoch && l.Seq == seq);
        var log = history.Log.Select(l => l.Epoch == epoch && l.Seq == seq ? edit(l) : l).ToList();
        var changed = log.Single(l => l.Epoch == epoch && l.Seq == seq);
        string id = $"{epoch}-{seq}";
        var sessions = history.Sessions.Select(s => s with
        {
            Items = s.Items.Select(i => i.EventId == id && i.Kind != StreamItemKind.Snapshot ? Items.ToItem(changed) : i).ToList(),
        }).ToList();
        return history with { Log = log, Sessions = sessions };
    }

    /// <summary>
    /// Changes the debounced events of log line <paramref name="line"/> (<c>epoch-seq</c>, whatever the rest of
    /// their ids) in one session (null: removes them).
    /// </summary>
    public static RunHistory WithDebouncedEvent(this RunHistory history, int subscriber, int session, string line, Func<StreamItem, StreamItem?> edit) =>
        history.WithItems(subscriber, session, items =>
        {
            Assert.Contains(items, i => IsDebouncedEventOf(i, line));
            return items.Select(i => IsDebouncedEventOf(i, line) ? edit(i) : i).OfType<StreamItem>();
        });

    /// <summary>Changes the log line <c>epoch-seq</c> and, the same way, every debounced event of it (plain streams' events are left as they were).</summary>
    public static RunHistory WithDebouncedLine(this RunHistory history, string epoch, long seq, Func<LogLine, LogLine> edit)
    {
        Assert.Contains(history.Log, l => l.Epoch == epoch && l.Seq == seq);
        var log = history.Log.Select(l => l.Epoch == epoch && l.Seq == seq ? edit(l) : l).ToList();
        var changed = log.Single(l => l.Epoch == epoch && l.Seq == seq);
        string line = $"{epoch}-{seq}";
        var sessions = history.Sessions.Select(s => s with
        {
            Items = s.Items.Select(i => IsDebouncedEventOf(i, line) ? i with { User = changed.User, At = changed.At, Reason = changed.Reason } : i).ToList(),
        }).ToList();
        return history with { Log = log, Sessions = sessions };
    }

    private static bool IsDebouncedEventOf(StreamItem item, string line) =>
        item.Kind != StreamItemKind.Snapshot && item.EventId is { } id && id.StartsWith(line + "-", StringComparison.Ordinal) && id.Split('-').Length == 5;

    public static RunHistory WithSamples(this RunHistory history, Func<StoreSample, bool> where, Func<StoreSample, StoreSample> edit)
    {
        Assert.Contains(history.Samples, s => where(s));
        return history with { Samples = history.Samples.Select(s => where(s) ? edit(s) : s).ToList() };
    }

    public static RunHistory WithHeartbeats(this RunHistory history, Func<HeartbeatSent, bool> where, Func<HeartbeatSent, HeartbeatSent> edit)
    {
        Assert.Contains(history.Heartbeats, h => where(h));
        return history with { Heartbeats = history.Heartbeats.Select(h => where(h) ? edit(h) : h).ToList() };
    }

    public static RunHistory WithFinal(this RunHistory history, Func<FinalState, FinalState> edit) =>
        history with { Final = edit(history.Final) };
}
