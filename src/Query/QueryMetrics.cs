using System.Globalization;
using Presence.Query.Internal.Events;
using Presence.Query.Internal.Store;
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
    private readonly Counter _groupMembersRead;
    private readonly Histogram.Child[] _storeByStatus;
    private readonly Counter.Child[] _eventsSent;
    private readonly Histogram.Child[] _eventDelay;

    // 5 ms … ~80 s: online events arrive in tens of milliseconds, timeouts within a second; resumed history can be minutes old.
    private static readonly double[] s_delayBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.35, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30, 80];

    public QueryMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        // No exemplars: nothing here traces requests, and looking for a trace context on every
        // observation is a cost on the request path for nothing.
        factory.ExemplarBehavior = ExemplarBehavior.NoExemplars();
        _requests = factory.CreateCounter("presence_query_requests_total",
            "HTTP requests answered, by route pattern and status code.", ["route", "status"]);
        _requestDuration = factory.CreateHistogram("presence_query_request_duration_seconds",
            "Time from request received to response written, by route pattern.", ["route"],
            new HistogramConfiguration { Buckets = s_latencyBuckets });
        _storeRoundTrip = factory.CreateHistogram("presence_query_store_roundtrip_seconds",
            "Time of one store call (every MGET of a request, awaited together), by result.", ["result"],
            new HistogramConfiguration { Buckets = s_latencyBuckets });
        _ids = factory.CreateCounter("presence_query_ids_total", "User ids answered (repeats included).");
        _groupMembersRead = factory.CreateCounter("presence_query_group_members_read_total",
            "Group members whose presence the group routes read from the store (every member of a group, whatever the page).");
        _storeByStatus =
        [
            _storeRoundTrip.WithLabels("ok"),
            _storeRoundTrip.WithLabels("unavailable"),
            _storeRoundTrip.WithLabels("timeout"),
            _storeRoundTrip.WithLabels("failed"),
        ];
        EventSubscribers = factory.CreateGauge("presence_event_subscribers", "Open event streams.");
        var sent = factory.CreateCounter("presence_events_sent_total", "Events written to streams, by type (snapshot, online, offline; group streams also member_added, member_removed).", ["type"]);
        _eventsSent = [sent.WithLabels("snapshot"), sent.WithLabels("online"), sent.WithLabels("offline"), sent.WithLabels("member_added"), sent.WithLabels("member_removed")];
        var delay = factory.CreateHistogram("presence_event_delay_seconds",
            "Time an event was sent minus its at (live events; a resumed stream's history is not counted; a debounced stream's offline: minus at + debounce), by type.", ["type"],
            new HistogramConfiguration { Buckets = s_delayBuckets });
        _eventDelay = [delay.WithLabels("snapshot"), delay.WithLabels("online"), delay.WithLabels("offline")];
        EventsSuppressed = factory.CreateCounter("presence_events_suppressed_total",
            "Events debounced streams did not send: an offline and the online that followed it within the stream's debounce (2 a flap).");
        EventStreamsEnded = factory.CreateCounter("presence_event_streams_ended_total",
            "Event streams the node ended itself, by reason (overflow: the client took its events too slowly and resumes).", ["reason"]);
        OnlineUsers = factory.CreateGauge("presence_online_users",
            "Users online now, as the events log counts them (GET /v1/presence/count); read on each scrape, absent while the store has no events log.",
            new Prometheus.GaugeConfiguration { SuppressInitialValue = true });
        WatchedGroups = factory.CreateGauge("presence_event_watched_groups", "Groups whose membership version this node reads once a second for its open group streams.");
        EventFeedPosition = factory.CreateGauge("presence_event_feed_position", "The events log's last line this node has read.");
        EventFeedErrors = factory.CreateCounter("presence_event_feed_errors_total", "Failed reads of the events log (retried with a backoff).");
        EventLinesUnreadable = factory.CreateCounter("presence_event_log_unreadable_lines_total",
            "Events log lines this node could not read (a form it does not know: a newer ingester's?): skipped, no stream gets their transitions.");
        EventResyncs = factory.CreateCounter("presence_event_resyncs_total", "Times the events log was replaced or out of reach and every stream took a new snapshot.");
        DotNetStats.Register(Registry);
        Unmatched = Route("unmatched");
    }

    public CollectorRegistry Registry { get; }

    /// <summary>The label used for requests that matched no route.</summary>
    public RouteMetrics Unmatched { get; }

    /// <summary>The counters of one route; attached to its endpoint as metadata.</summary>
    public RouteMetrics Route(string pattern) => new(_requests, _requestDuration.WithLabels(pattern), pattern);

    internal void StoreCall(StoreStatus status, TimeSpan elapsed) => _storeByStatus[(int)status].Observe(elapsed.TotalSeconds);

    public void IdsAnswered(int count) => _ids.Inc(count);

    /// <summary>Members whose presence a group route read: the store work of group reads (HTTP-API.md, "Groups").</summary>
    public void GroupMembersRead(int count) => _groupMembersRead.Inc(count);

    public Gauge EventSubscribers { get; }

    public Counter EventStreamsEnded { get; }

    public Counter EventsSuppressed { get; }

    public Gauge EventFeedPosition { get; }

    public Gauge WatchedGroups { get; }
    public Gauge OnlineUsers { get; }

    public Counter EventFeedErrors { get; }

    public Counter EventResyncs { get; }

    public Counter EventLinesUnreadable { get; }

    internal Counter.Child EventsSent(EventType type) => _eventsSent[(int)type];

    internal Histogram.Child EventDelay(EventType type) => _eventDelay[(int)type];

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
