using System.Globalization;
using Prometheus;

namespace Presence.Query;

/// <summary>
/// The query service's Prometheus metrics, in a registry of its own (one per app, so apps built
/// side by side in tests keep separate counts). Names: docs/QUERY.md.
/// </summary>
public sealed class QueryMetrics
{
    // 100 µs … ~1.6 s, doubling: a loopback store answers in well under a millisecond, a timed-out call takes the store timeout.
    private static readonly double[] s_latencyBuckets = Histogram.ExponentialBuckets(0.0001, 2, 15);

    private readonly Counter _requests;
    private readonly Histogram _requestDuration;
    private readonly Histogram _storeRoundTrip;
    private readonly Counter _ids;
    private readonly Histogram.Child[] _storeByStatus;

    public QueryMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        _requests = factory.CreateCounter("presence_query_requests_total",
            "HTTP requests answered, by route pattern and status code.", ["route", "status"]);
        _requestDuration = factory.CreateHistogram("presence_query_request_duration_seconds",
            "Time from request received to response written, by route pattern.", ["route"],
            new HistogramConfiguration { Buckets = s_latencyBuckets });
        _storeRoundTrip = factory.CreateHistogram("presence_query_store_roundtrip_seconds",
            "Time of one store call (every MGET of a request, awaited together), by result.", ["result"],
            new HistogramConfiguration { Buckets = s_latencyBuckets });
        _ids = factory.CreateCounter("presence_query_ids_total", "User ids answered (repeats included).");
        _storeByStatus =
        [
            _storeRoundTrip.WithLabels("ok"),
            _storeRoundTrip.WithLabels("unavailable"),
            _storeRoundTrip.WithLabels("timeout"),
            _storeRoundTrip.WithLabels("failed"),
        ];
        DotNetStats.Register(Registry);
        Unmatched = Route("unmatched");
    }

    public CollectorRegistry Registry { get; }

    /// <summary>The label used for requests that matched no route.</summary>
    public RouteMetrics Unmatched { get; }

    /// <summary>The counters of one route; attached to its endpoint as metadata.</summary>
    public RouteMetrics Route(string pattern) => new(_requests, _requestDuration.WithLabels(pattern), pattern);

    public void StoreCall(StoreStatus status, TimeSpan elapsed) => _storeByStatus[(int)status].Observe(elapsed.TotalSeconds);

    public void IdsAnswered(int count) => _ids.Inc(count);

    /// <summary>
    /// Per-route children, looked up once: a request only indexes an array by its status code.
    /// </summary>
    public sealed class RouteMetrics
    {
        private readonly Counter _requests;
        private readonly Histogram.Child _duration;
        private readonly string _pattern;
        private readonly Counter.Child?[] _byStatus = new Counter.Child?[600];

        internal RouteMetrics(Counter requests, Histogram.Child duration, string pattern)
        {
            _requests = requests;
            _duration = duration;
            _pattern = pattern;
        }

        public void Observe(int status, TimeSpan elapsed)
        {
            _duration.Observe(elapsed.TotalSeconds);
            if ((uint)status >= (uint)_byStatus.Length)
                status = 0;
            // A race here only looks the same child up twice.
            var child = _byStatus[status] ??= _requests.WithLabels(_pattern, status.ToString(CultureInfo.InvariantCulture));
            child.Inc();
        }
    }
}
