using Presence.Bench.Faults.History;

namespace Presence.Bench.Faults.Run;

/// <summary>A <see cref="StreamSession"/> while it is being recorded.</summary>
internal sealed class LiveSession(int subscriber, int session, string node, long connectedMs, ResumeKind resume, string? lastEventIdSent, bool slow, int debounce)
{
    private readonly List<StreamItem> _items = [];

    public long? EndedMs { get; private set; }
    public string? EndReason { get; private set; }

    /// <summary>
    /// The epoch and sequence of the last id received (a snapshot's or an event's); before any, of a
    /// resume's Last-Event-ID (a stream resumed from a position with nothing new to send is at that position).
    /// A debounced stream's seq does not grow with each event (held offlines follow later lines): only its epoch says where it is.
    /// </summary>
    public string? Epoch { get; private set; } = Resumed(resume, lastEventIdSent, debounce).Epoch;
    public long Seq { get; private set; } = Resumed(resume, lastEventIdSent, debounce).Seq;

    /// <summary>The <c>debounce=S</c> asked for (0: a plain stream).</summary>
    public int Debounce => debounce;

    private static (string? Epoch, long Seq) Resumed(ResumeKind resume, string? lastEventId, int debounce) =>
        resume == ResumeKind.Resume && lastEventId is not null && TryParse(lastEventId, debounce, out var epoch, out long seq) ? (epoch, seq) : (null, -1);

    private static bool TryParse(string id, int debounce, out string epoch, out long seq) =>
        debounce > 0 ? EventIds.TryParseDebounced(id, out epoch, out seq, out _) : EventIds.TryParse(id, out epoch, out seq);

    public bool Open => EndedMs is null;

    public void Add(StreamItem item)
    {
        lock (_items)
        {
            _items.Add(item);
            if (item.EventId is not null && TryParse(item.EventId, debounce, out var epoch, out long seq))
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
            return new StreamSession(subscriber, session, node, connectedMs, EndedMs, resume, lastEventIdSent, EndReason, slow, [.. _items], debounce);
    }
}
