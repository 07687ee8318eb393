using System.Globalization;

namespace Presence.Bench.Faults.Run;

/// <summary>Event ids as the service writes them: <c>&lt;epoch&gt;-&lt;seq&gt;</c>.</summary>
internal static class EventIds
{
    public static bool TryParse(string id, out string epoch, out long seq)
    {
        int dash = id.LastIndexOf('-');
        epoch = dash > 0 ? id[..dash] : "";
        seq = 0;
        return dash > 0 && long.TryParse(id.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out seq);
    }

    public static string Format(string epoch, long seq) => string.Create(CultureInfo.InvariantCulture, $"{epoch}-{seq}");
}
