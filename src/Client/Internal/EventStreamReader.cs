using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;

namespace Presence.Client.Internal;

/// <summary>
/// One events response read with System.Net.ServerSentEvents' parser (the WHATWG HTML standard's
/// algorithm: <c>event</c>, <c>data</c> lines joined with \n, <c>id</c> ignored when it holds NUL,
/// <c>retry</c>, comments skipped). What it adds is the state that outlives a connection: the last
/// event id, carried in from the previous connection and out into the next one's
/// <c>Last-Event-ID</c>, and the reconnection time the server asked for.
/// </summary>
internal sealed class EventStreamReader(Stream body, string? lastEventId)
{
    private readonly SseParser<string> _parser = SseParser.Create(body);

    /// <summary>The id of the last event read or, before one carried an id, the one the connection started from.</summary>
    public string? LastEventId { get; private set; } = lastEventId;

    /// <summary>The reconnection time the server asked for with <c>retry:</c>, if it did.</summary>
    public TimeSpan? Retry => _parser.ReconnectionInterval == Timeout.InfiniteTimeSpan ? null : _parser.ReconnectionInterval;

    /// <summary>The events until the body ends; each carries the last event id so far (an event without <c>id:</c> keeps the one before).</summary>
    public async IAsyncEnumerable<SseEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancel)
    {
        await foreach (var item in _parser.EnumerateAsync(cancel))
        {
            // The parser's EventId is the event's own id field; the standard's last event id persists across events and connections.
            LastEventId = item.EventId ?? LastEventId;
            yield return new SseEvent(item.EventType, item.Data, LastEventId);
        }
    }
}
