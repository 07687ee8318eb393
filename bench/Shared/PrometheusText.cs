using System.Globalization;

namespace Presence.Bench.Shared;

/// <summary>
/// The Prometheus text format a service's <c>/metrics</c> serves, read into series → value, where a
/// series is <c>name{labels}</c> as written. One source file, linked into each program that scrapes
/// the services (bench/EndToEnd, bench/Events, tools/Demo), which run apart from them.
/// </summary>
internal static class PrometheusText
{
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
}
