using System.Globalization;

namespace Presence.Testing;

/// <summary>
/// The Prometheus text format a service's <c>/metrics</c> serves, read into series → value, where a
/// series is <c>name{labels}</c> as written (e.g. <c>presence_store_writes_total{result="ok"}</c>).
/// </summary>
public static class PrometheusText
{
    /// <summary>Every sample of the page by series; lines that are not samples are skipped.</summary>
    public static Dictionary<string, double> Parse(string text)
    {
        var values = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
                continue;
            int space = line.LastIndexOf(' ');
            if (space > 0 && double.TryParse(line.AsSpan(space + 1), NumberStyles.Float, CultureInfo.InvariantCulture, out double value))
                values[line[..space]] = value;
        }
        return values;
    }

    /// <summary>
    /// The value of one sample; 0 when the page does not have it (a labelled counter appears only
    /// once it has been counted).
    /// </summary>
    public static double Sample(string text, string sample) => Parse(text).GetValueOrDefault(sample);
}
