namespace Presence.Bench.Events;

/// <summary>Where <see cref="SseParser"/> hands what it read.</summary>
internal interface ISseSink
{
    /// <summary>A dispatched event: its type (empty: "message"), the last event id, its data lines joined by LF.</summary>
    void OnEvent(ReadOnlySpan<byte> type, ReadOnlySpan<byte> id, ReadOnlySpan<byte> data);

    /// <summary>A comment line (the service's keepalive).</summary>
    void OnComment();
}
