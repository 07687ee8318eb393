using System.Globalization;

namespace Presence.Bench.Faults.Run;

/// <summary>
/// Event ids as the service writes them: <c>&lt;epoch&gt;-&lt;seq&gt;</c>, and a debounced stream's
/// <c>&lt;epoch&gt;-&lt;seq&gt;-&lt;ms&gt;-&lt;node&gt;-&lt;S&gt;</c> (HTTP-API.md, "Debounce").
/// </summary>
internal static class EventIds
{
    public static bool TryParse(string id, out string epoch, out long seq)
    {
        int dash = id.LastIndexOf('-');
        epoch = dash > 0 ? id[..dash] : "";
        seq = 0;
        return dash > 0 && long.TryParse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out seq);
    }

    /// <summary>A debounced id: its epoch, its seq, and the rest (<c>-&lt;ms&gt;-&lt;node&gt;-&lt;S&gt;</c>, kept to build unservable ids of the same form).</summary>
    public static bool TryParseDebounced(string id, out string epoch, out long seq, out string tail)
    {
        var parts = id.Split('-');
        epoch = parts[0];
        seq = 0;
        tail = "";
        if (parts.Length != 5 || epoch.Length == 0 || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out seq))
            return false;
        tail = "-" + string.Join('-', parts[2..]);
        return true;
    }

    public static string Format(string epoch, long seq) => string.Create(CultureInfo.InvariantCulture, $"{epoch}-{seq}");
}
