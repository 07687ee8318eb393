using System.Globalization;
using Presence.Testing;

namespace Presence.Bench.EndToEnd;

/// <summary>A presence-ingest's /metrics, scraped into name{labels} → value.</summary>
internal static class Metrics
{
    public static async Task<Dictionary<string, double>> ScrapeAsync(int port)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };
        return PrometheusText.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/metrics")));
    }

    public static double Get(this Dictionary<string, double> metrics, string name) => metrics.TryGetValue(name, out double v) ? v : 0;

    /// <summary>
    /// A presence-ingest's events appender in one scrape: transitions seen (the log's lines to come), the
    /// log's last line after its latest append, and transitions held and dropped for a full queue.
    /// </summary>
    public static string EventsSummary(this Dictionary<string, double> m) => string.Create(CultureInfo.InvariantCulture,
        $"{m.Get("presence_transitions_total{type=\"online\"}") + m.Get("presence_transitions_total{type=\"timeout\"}") + m.Get("presence_transitions_total{type=\"signout\"}"):N0} transitions seen, " +
        $"the log's last line {m.Get("presence_event_log_last_seq"):N0}, {m.Get("presence_transitions_held_total"):N0} held, {m.Get("presence_transitions_dropped_total"):N0} dropped");

    /// <summary>
    /// The <paramref name="q"/> quantile of histogram <paramref name="name"/> over what it counted
    /// between two scrapes (<paramref name="before"/> null: since the start), interpolated linearly
    /// inside the bucket as Prometheus' histogram_quantile does; NaN when nothing was counted.
    /// Past the last finite bucket it answers that bucket's bound (a lower bound on the truth).
    /// </summary>
    public static double Quantile(Dictionary<string, double> after, Dictionary<string, double>? before, string name, double q)
    {
        string prefix = name + "_bucket{le=\"";
        var buckets = after.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal))
            .Select(k => (Le: k[prefix.Length..^2], Count: after[k] - (before?.Get(k) ?? 0)))
            .Select(b => (Bound: b.Le == "+Inf" ? double.PositiveInfinity : double.Parse(b.Le, CultureInfo.InvariantCulture), b.Count))
            .OrderBy(b => b.Bound).ToArray();
        if (buckets.Length == 0 || buckets[^1].Count <= 0)
            return double.NaN;
        double rank = q * buckets[^1].Count;
        double lowerBound = 0, lowerCount = 0;
        foreach (var (bound, count) in buckets)
        {
            if (count >= rank)
            {
                if (double.IsPositiveInfinity(bound))
                    return lowerBound;
                return lowerBound + (bound - lowerBound) * (count - lowerCount <= 0 ? 1 : (rank - lowerCount) / (count - lowerCount));
            }
            (lowerBound, lowerCount) = (bound, count);
        }
        return lowerBound;
    }
}
