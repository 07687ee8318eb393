using System.Globalization;

namespace Presence.Bench.Faults.Checking;

/// <summary>An event id <c>epoch-seq</c> (docs/EVENTS.md): the epoch is everything before the last '-'.</summary>
internal readonly record struct EventPosition(string Epoch, long Seq)
{
    public static bool TryParse(string? id, out EventPosition position)
    {
        position = default;
        if (string.IsNullOrEmpty(id))
            return false;
        int dash = id.LastIndexOf('-');
        if (dash <= 0 || dash == id.Length - 1)
            return false;
        var digits = id.AsSpan(dash + 1);
        foreach (char c in digits)
        {
            if (c is < '0' or > '9')
                return false;
        }
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long seq))
            return false;
        position = new EventPosition(id[..dash], seq);
        return true;
    }

    public override string ToString() => $"{Epoch}-{Seq}";
}
