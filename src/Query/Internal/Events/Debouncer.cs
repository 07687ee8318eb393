using Presence.Core.Events;

namespace Presence.Query.Internal.Events;

/// <summary>
/// One debounced stream's decisions (HTTP-API.md, "Debounce"): each offline is held until it is due,
/// at <c>max(at + S, the time the node read it)</c>, and then sent, unless the user's next online is
/// read before then: then neither is sent. Onlines are never delayed.
/// </summary>
/// <remarks>
/// <para>
/// Everything is decided on the lines' read times (<see cref="StreamItem.ReadMs"/>), which never go
/// backwards along the log, so the events a stream sends are a function of the node's ring alone:
/// in the order of their keys (<see cref="Delivery.KeyMs"/>: an online's read time, an offline's due
/// time; ties by sequence number), an offline before an online read at its due time. A resume
/// replays the ring from <see cref="WindowMs"/> before its event's key (<see cref="Replay"/>) and
/// sends what follows that event: exactly what the stream would have sent.
/// </para>
/// <para>
/// Not thread-safe: one stream's writer owns it. A held offline is released when the stream's
/// clock (<see cref="EventFeed.Now"/>) passes its due time; the feed's reads are stamped at or
/// after that clock, so no line read later can cancel it.
/// </para>
/// </remarks>
internal sealed class Debouncer
{
    /// <summary>Largest debounce a stream may ask for, in seconds (the contract).</summary>
    public const int MaxSeconds = 60;

    /// <summary>
    /// How much earlier than a resume point a replay starts, beyond the debounce: an offline whose
    /// <c>at</c> is after its read time (the ingester found a timeout a little before its key's
    /// expiry, or the ingester's clock runs ahead of this node's) is still in the window.
    /// </summary>
    public const long WindowMarginMs = 10_000;

    private readonly long _debounceMs;
    private readonly Dictionary<ulong, Held> _held = [];
    private readonly PriorityQueue<Held, (long DueMs, long Seq)> _due = new();

    public Debouncer(int seconds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(seconds, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(seconds, MaxSeconds);
        Seconds = seconds;
        _debounceMs = seconds * 1000L;
    }

    /// <summary>The debounce S, in seconds.</summary>
    public int Seconds { get; }

    /// <summary>How far back a replay reads the ring: S and <see cref="WindowMarginMs"/>.</summary>
    public long WindowMs => _debounceMs + WindowMarginMs;

    /// <summary>Offlines held now.</summary>
    public int HeldCount => _held.Count;

    /// <summary>Events not sent (a cancelled offline and the online that cancelled it: 2) since the last <see cref="TakeSuppressed"/>.</summary>
    public int Suppressed { get; private set; }

    public int TakeSuppressed()
    {
        int n = Suppressed;
        Suppressed = 0;
        return n;
    }

    /// <summary>The due time of the next held offline, or null when none is held.</summary>
    public long? NextDueMs
    {
        get
        {
            while (_due.TryPeek(out var held, out var key))
            {
                if (IsCurrent(held))
                    return key.DueMs;
                _due.Dequeue(); // cancelled
            }
            return null;
        }
    }

    /// <summary>Whether <paramref name="user"/>'s offline is held, and which.</summary>
    public bool IsHeld(ulong user, out EventLogLine offline)
    {
        bool held = _held.TryGetValue(user, out var h);
        offline = h.Line;
        return held;
    }

    /// <summary>
    /// Takes the next line of the stream (read at <see cref="StreamItem.ReadMs"/>): first the held
    /// offlines due before it go to <paramref name="output"/>, then the line is held (an offline),
    /// sent (an online), or cancels the user's held offline (an online read before it was due).
    /// <paramref name="count"/> false replays history: what it suppresses is not counted again.
    /// </summary>
    public void Offer(in StreamItem item, List<Delivery> output, bool count = true)
    {
        if (!item.IsLine)
            return;
        var line = item.Line;
        Release(item.ReadMs, line.Seq, inclusive: false, output);
        if (line.IsOnline)
        {
            if (_held.Remove(line.UserId))
            {
                if (count)
                    Suppressed += 2;
                return;
            }
            output.Add(new Delivery(line, item.ReadMs));
            return;
        }
        long due = line.AtMs > long.MaxValue - _debounceMs ? long.MaxValue : Math.Max(line.AtMs + _debounceMs, item.ReadMs);
        var held = new Held(line, due);
        _held[line.UserId] = held; // the log alternates per user: an offline after an offline does not come
        _due.Enqueue(held, (due, line.Seq));
    }

    /// <summary>Sends the held offlines due at or before <paramref name="nowMs"/> (a time from <see cref="EventFeed.Now"/>).</summary>
    public void ReleaseDue(long nowMs, List<Delivery> output) => Release(nowMs, long.MaxValue, inclusive: true, output);

    /// <summary>
    /// Replays <paramref name="window"/> (the ring's lines of the stream's ids, from at least
    /// <see cref="WindowMs"/> before the point on) to the point (<paramref name="pointSeq"/>,
    /// <paramref name="pointMs"/>) without sending anything, then sends what follows it into
    /// <paramref name="output"/>. The held offlines then are those a stream at that point held.
    /// A line is before the point when read before its key (a released offline's key is its due
    /// time: lines read after the offline and before then are before it), or at it up to its line.
    /// </summary>
    public void Replay(List<StreamItem> window, long pointSeq, long pointMs, List<Delivery> output) =>
        Continue(window, ReplayTo(window, pointSeq, pointMs), output);

    /// <summary>
    /// The first half of <see cref="Replay"/>: takes the lines before the point, unsent, and releases
    /// what a stream at the point had sent; returns where the lines after it start. What is held then
    /// is what a stream at the point held (a snapshot shows those users online): look before
    /// <see cref="Continue"/>, whose lines may cancel some.
    /// </summary>
    public int ReplayTo(List<StreamItem> window, long pointSeq, long pointMs)
    {
        var before = new List<Delivery>();
        int i = 0;
        for (; i < window.Count && (window[i].ReadMs < pointMs || (window[i].ReadMs == pointMs && window[i].Line.Seq <= pointSeq)); i++)
            Offer(window[i], before, count: false);
        Release(pointMs, pointSeq, inclusive: true, before); // what a stream at the point had sent
        return i;
    }

    /// <summary>The second half of <see cref="Replay"/>: the lines after the point, from <paramref name="from"/>, into <paramref name="output"/>.</summary>
    public void Continue(List<StreamItem> window, int from, List<Delivery> output)
    {
        for (int i = from; i < window.Count; i++)
            Offer(window[i], output);
    }

    private void Release(long keyMs, long seq, bool inclusive, List<Delivery> output)
    {
        while (_due.TryPeek(out var held, out var key))
        {
            int order = key.DueMs != keyMs ? key.DueMs.CompareTo(keyMs) : key.Seq.CompareTo(seq);
            if (order > 0 || (order == 0 && !inclusive))
                return;
            _due.Dequeue();
            if (!IsCurrent(held))
                continue; // cancelled
            _held.Remove(held.Line.UserId);
            output.Add(new Delivery(held.Line, held.DueMs));
        }
    }

    private bool IsCurrent(in Held held) => _held.TryGetValue(held.Line.UserId, out var current) && current.Line.Seq == held.Line.Seq;

    private readonly record struct Held(EventLogLine Line, long DueMs);
}
