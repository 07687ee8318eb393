using System.Globalization;

namespace Presence.Query.Internal.Events;

/// <summary>
/// A debounced stream's event id on the wire: <c>&lt;epoch&gt;-&lt;seq&gt;-&lt;key ms&gt;-&lt;node&gt;-&lt;S&gt;</c>, the
/// point in the stream's order (<see cref="Delivery"/>: a log line and its key), the node that sent
/// it (<see cref="EventFeed.Node"/>) and the debounce. Opaque to clients. A plain stream's
/// <see cref="LastEventId"/> never parses as one, nor the other way round (another epoch), so an id
/// given to a stream of the other kind gets a snapshot.
/// </summary>
internal readonly record struct DebouncedEventId(string Epoch, long Seq, long KeyMs, string Node, int Seconds)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Epoch}-{Seq}-{KeyMs}-{Node}-{Seconds}");

    public static bool TryParse(string? text, out DebouncedEventId id)
    {
        id = default;
        if (string.IsNullOrEmpty(text) || text.Length > 96)
            return false;
        var parts = text.Split('-');
        if (parts.Length != 5 || parts[0].Length == 0 || parts[3].Length == 0
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long seq)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long key)
            || !int.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out int seconds))
            return false;
        id = new DebouncedEventId(parts[0], seq, key, parts[3], seconds);
        return true;
    }
}
