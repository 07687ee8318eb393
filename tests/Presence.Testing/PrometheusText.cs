using System.Globalization;

namespace Presence.Testing;

/// <summary>Reads samples out of a <c>/metrics</c> page (Prometheus text exposition).</summary>
public static class PrometheusText
{
    /// <summary>
    /// The value of one sample, named with its labels as exposed (e.g.
    /// <c>presence_store_writes_total{result="ok"}</c>); 0 when the page does not have it (a labelled
    /// counter appears only once it has been counted).
    /// </summary>
    public static double Sample(string text, string sample)
    {
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith(sample + " ", StringComparison.Ordinal))
                return double.Parse(line.AsSpan(sample.Length + 1), CultureInfo.InvariantCulture);
        }
        return 0;
    }
}
