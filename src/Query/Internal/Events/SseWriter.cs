using System.Buffers;
using System.Buffers.Text;
using System.IO.Pipelines;
using System.Text;
using Presence.Core.Events;
using Presence.Query.Internal.Http;

namespace Presence.Query.Internal.Events;

/// <summary>
/// Writes an event stream's fields (HTTP-API.md, "Presence events") on the response's
/// <see cref="PipeWriter"/>, byte for byte, and counts what it sent; flushing is the stream's.
/// </summary>
internal sealed class SseWriter(QueryMetrics metrics)
{
    /// <summary>What a browser's EventSource waits before reconnecting (its default is 3 s).</summary>
    private const string RetryLine = "retry: 1000\n";

    private static readonly byte[] s_keepalive = Encoding.ASCII.GetBytes(": keepalive\n\n");

    private readonly QueryMetrics _metrics = metrics;

    public static void WriteRetry(PipeWriter output) => Write(output, RetryLine);

    /// <summary>Ends the retry field's event when no snapshot follows (a resumed stream).</summary>
    public static void WriteEmptyLine(PipeWriter output) => Write(output, "\n");

    public static void WriteKeepalive(PipeWriter output) => output.Write(s_keepalive);

    /// <summary><c>event: snapshot</c>, <c>id:</c> <paramref name="id"/>, <c>data:</c> the watched users as the batch API answers them.</summary>
    public void WriteSnapshot(PipeWriter output, string id, ulong[] ids, long[] lastSeenMs) =>
        WriteData(output, "snapshot", id, PresenceJson.Render(ids, lastSeenMs, single: false), EventType.Snapshot);

    /// <summary>
    /// <c>event: online|offline</c>, <c>id: epoch-seq</c> (a debounced stream's: <c>epoch-seq-key</c> and
    /// <paramref name="debounceIdTail"/>, <see cref="DebouncedEventId"/>; a group stream's then <paramref name="idSuffix"/>),
    /// <c>data: {"id":"42","at":…[,"reason":…][,"count":K]}</c> (<paramref name="count"/> when not negative: a group stream's).
    /// <paramref name="heldMs"/> is how long the stream holds an offline (its debounce): not counted as delay.
    /// </summary>
    public void WriteEvent(PipeWriter output, string epoch, in Delivery delivery, bool live, string? debounceIdTail = null, long heldMs = 0,
        string? idSuffix = null, int count = -1)
    {
        var entry = delivery.Line;
        var type = entry.IsOnline ? EventType.Online : EventType.Offline;
        Write(output, entry.IsOnline ? "event: online\nid: " : "event: offline\nid: ");
        WriteId(output, epoch, delivery, debounceIdTail, idSuffix);
        Write(output, "\ndata: {\"id\":\"");
        WriteNumber(output, entry.UserId);
        Write(output, "\",\"at\":");
        WriteNumber(output, entry.AtMs);
        Write(output, Reason(entry.Kind));
        if (count >= 0)
        {
            Write(output, ",\"count\":");
            WriteNumber(output, count);
        }
        Write(output, "}\n\n");
        Observe(type, entry, live, heldMs);
    }

    /// <summary>
    /// An aggregate group stream's <c>event: online|offline</c> for group <paramref name="name"/>, caused by
    /// <paramref name="delivery"/> (its id, <c>at</c> and reason), <c>data: {"name":…,"at":…[,"reason":…]}</c>.
    /// Without <paramref name="withId"/> the event has no <c>id:</c> line: one line that turns several groups sends its
    /// id on the last of their events only, so a client cut off between them resumes before the line, not after it.
    /// </summary>
    public void WriteGroupEvent(PipeWriter output, string epoch, in Delivery delivery, bool live, string? debounceIdTail, long heldMs, string idSuffix, string name,
        bool withId = true)
    {
        var entry = delivery.Line;
        var type = entry.IsOnline ? EventType.Online : EventType.Offline;
        Write(output, entry.IsOnline ? "event: online\n" : "event: offline\n");
        if (withId)
        {
            Write(output, "id: ");
            WriteId(output, epoch, delivery, debounceIdTail, idSuffix);
            Write(output, "\n");
        }
        Write(output, "data: {\"name\":\"");
        Write(output, name); // a valid name: [A-Za-z0-9._:-], nothing to escape
        Write(output, "\",\"at\":");
        WriteNumber(output, entry.AtMs);
        Write(output, Reason(entry.Kind));
        Write(output, "}\n\n");
        Observe(type, entry, live, heldMs);
    }

    /// <summary>
    /// An event of type <paramref name="type"/> with id <paramref name="id"/> (none when null: the client keeps the one
    /// before) and <paramref name="json"/> as its data, counted as <paramref name="counted"/>.
    /// </summary>
    public void WriteData(PipeWriter output, string type, string? id, ReadOnlySpan<byte> json, EventType counted)
    {
        Write(output, "event: ");
        Write(output, type);
        if (id is not null)
        {
            Write(output, "\nid: ");
            Write(output, id);
        }
        Write(output, "\ndata: ");
        output.Write(json);
        Write(output, "\n\n");
        _metrics.EventsSent(counted).Inc();
    }

    private static string Reason(TransitionKind kind) => kind switch
    {
        TransitionKind.Timeout => ",\"reason\":\"timeout\"",
        TransitionKind.Signout => ",\"reason\":\"signout\"",
        _ => "",
    };

    private static void WriteId(PipeWriter output, string epoch, in Delivery delivery, string? debounceIdTail, string? idSuffix)
    {
        Write(output, epoch);
        Write(output, "-");
        WriteNumber(output, delivery.Line.Seq);
        if (debounceIdTail is not null)
        {
            Write(output, "-");
            WriteNumber(output, delivery.KeyMs);
            Write(output, debounceIdTail);
        }
        if (idSuffix is not null)
            Write(output, idSuffix);
    }

    private void Observe(EventType type, in EventLogLine entry, bool live, long heldMs)
    {
        _metrics.EventsSent(type).Inc();
        // Replayed history (a resume) would say how old the history is, not how late delivery is.
        if (live)
            _metrics.EventDelay(type).Observe(Math.Max(0, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - entry.AtMs - (entry.IsOnline ? 0 : heldMs)) / 1000.0);
    }

    private static void Write(PipeWriter output, string ascii)
    {
        var span = output.GetSpan(ascii.Length);
        int n = Encoding.ASCII.GetBytes(ascii, span);
        output.Advance(n);
    }

    private static void WriteNumber(PipeWriter output, long value)
    {
        var span = output.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out int n);
        output.Advance(n);
    }

    private static void WriteNumber(PipeWriter output, ulong value)
    {
        var span = output.GetSpan(20);
        Utf8Formatter.TryFormat(value, span, out int n);
        output.Advance(n);
    }
}
