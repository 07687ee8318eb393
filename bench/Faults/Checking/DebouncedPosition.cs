using System.Globalization;

namespace Presence.Bench.Faults.Checking;

/// <summary>
/// A debounced stream's event id <c>&lt;epoch&gt;-&lt;seq&gt;-&lt;ms&gt;-&lt;node&gt;-&lt;S&gt;</c> (HTTP-API.md, "Debounce";
/// the query service's DebouncedEventId): the log line (or a snapshot's position), its place in the
/// node's order (<see cref="KeyMs"/>), the node process that sent it and the debounce in seconds.
/// </summary>
internal readonly record struct DebouncedPosition(string Epoch, long Seq, long KeyMs, string Node, int Seconds)
{
    public static bool TryParse(string? id, out DebouncedPosition position)
    {
        position = default;
        if (string.IsNullOrEmpty(id))
            return false;
        var parts = id.Split('-');
        if (parts.Length != 5 || parts[0].Length == 0 || parts[3].Length == 0
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out long seq)
            || !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out long key)
            || !int.TryParse(parts[4], NumberStyles.None, CultureInfo.InvariantCulture, out int seconds))
            return false;
        position = new DebouncedPosition(parts[0], seq, key, parts[3], seconds);
        return true;
    }

    /// <summary>The log position only, <c>epoch-seq</c>.</summary>
    public EventPosition Line => new(Epoch, Seq);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Epoch}-{Seq}-{KeyMs}-{Node}-{Seconds}");
}
