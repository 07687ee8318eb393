using Presence.Bench.Faults.History;

namespace Presence.Bench.Faults.Run;

/// <summary>A <see cref="StreamSession"/> while it is being recorded.</summary>
internal sealed class LiveSession(int subscriber, int session, string node, long connectedMs, ResumeKind resume, string? lastEventIdSent, bool slow)
{
    private readonly List<StreamItem> _items = [];

    public long? EndedMs { get; private set; }
    public string? EndReason { get; private set; }

    /// <summary>
    /// The epoch and sequence of the last id received (a snapshot's or an event's); before any, of a
    /// resume's Last-Event-ID (a stream resumed from a position with nothing new to send is at that position).
    /// </summary>
    public string? Epoch { get; private set; } = Resumed(resume, lastEventIdSent).Epoch;
    public long Seq { get; private set; } = Resumed(resume, lastEventIdSent).Seq;

    private static (string? Epoch, long Seq) Resumed(ResumeKind resume, string? lastEventId) =>
        resume == ResumeKind.Resume && lastEventId is not null && EventIds.TryParse(lastEventId, out var epoch, out long seq) ? (epoch, seq) : (null, -1);

    public bool Open => EndedMs is null;

    public void Add(StreamItem item)
    {
        lock (_items)
        {
            _items.Add(item);
            if (item.EventId is not null && EventIds.TryParse(item.EventId, out var epoch, out long seq))
            {
                Epoch = epoch;
                Seq = seq;
            }
        }
    }

    public void End(long atMs, string reason)
    {
        lock (_items)
        {
            EndedMs ??= atMs;
            EndReason ??= reason;
        }
    }

    public StreamSession ToRecord()
    {
        lock (_items)
            return new StreamSession(subscriber, session, node, connectedMs, EndedMs, resume, lastEventIdSent, EndReason, slow, [.. _items]);
    }
}
