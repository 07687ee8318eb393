using System.Globalization;
using Presence.Testing;

namespace Presence.Bench.Events;

/// <summary>One scrape of a service's /metrics (Prometheus text), by series: <c>name{labels}</c> → value.</summary>
internal sealed class MetricsPage
{
    private static readonly HttpClient s_http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(20) };

    private readonly Dictionary<string, double> _values;

    private MetricsPage(Dictionary<string, double> values) => _values = values;

    public static async Task<MetricsPage> ScrapeAsync(int port)
    {
        return new MetricsPage(PrometheusText.Parse(await s_http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics"))));
    }

    /// <summary>The value of a series (0 when the service has not exported it yet).</summary>
    public double this[string series] => _values.TryGetValue(series, out double v) ? v : 0;

    /// <summary>
    /// A histogram's cumulative buckets for one label set, e.g. <c>Histogram("presence_event_delay_seconds", "type=\"online\"")</c>.
    /// </summary>
    public HistogramCounts Histogram(string name, string labels)
    {
        string prefix = name + "_bucket{" + labels + ",le=\"";
        var buckets = new List<(double Le, double Count)>();
        foreach (var (series, value) in _values)
        {
            if (!series.StartsWith(prefix, StringComparison.Ordinal))
                continue;
            string le = series[prefix.Length..^2];
            buckets.Add((le == "+Inf" ? double.PositiveInfinity : double.Parse(le, CultureInfo.InvariantCulture), value));
        }
        buckets.Sort((a, b) => a.Le.CompareTo(b.Le));
        return new HistogramCounts([.. buckets.Select(b => b.Le)], [.. buckets.Select(b => b.Count)],
            this[$"{name}_sum{{{labels}}}"]);
    }
}
