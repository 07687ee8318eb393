using System.Globalization;

namespace Presence.Query.Internal.Events;

/// <summary>
/// An event id on the wire: <c>&lt;epoch&gt;-&lt;seq&gt;</c>, the events log's name and a line's sequence
/// number (for a snapshot, the number it was taken at). Opaque to clients, which only send it back.
/// </summary>
internal readonly record struct LastEventId(string Epoch, long Seq)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Epoch}-{Seq}");

    public static bool TryParse(string? text, out LastEventId id)
    {
        id = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64)
            return false;
        int dash = text.LastIndexOf('-');
        if (dash <= 0 || !long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long seq))
            return false;
        id = new LastEventId(text[..dash], seq);
        return true;
    }
}
