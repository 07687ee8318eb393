using Presence.Core;
using Presence.Ingest.Internal.Gateway;
using Presence.Ingest.Internal.Intake;
using Prometheus;

namespace Presence.Ingest;

/// <summary>
/// The ingester's Prometheus families (names per OPERATIONS.md). Each host has its own registry,
/// so several ingesters in one test process never share counts. Hot paths count into locals
/// and add here once per batch.
/// </summary>
public sealed class IngestMetrics
{
    internal const int FrameStatusCount = (int)FrameStatus.TooLong + 1;

    private readonly Counter _rejected;
    private readonly Counter.Child[] _rejectedChildren;
    private readonly Counter.Child[] _malformedChildren;
    private readonly Counter.Child _writesOk;
    private readonly Counter.Child _writesFailed;
    private readonly Counter.Child _writesMissing;
    private readonly Counter.Child[] _tcpClosedChildren;
    private readonly Counter.Child[] _transitionChildren;

    public IngestMetrics()
    {
        Registry = Metrics.NewCustomRegistry();
        var f = Metrics.WithCustomRegistry(Registry);
        FramesReceived = f.CreateCounter("presence_frames_received_total", "Frames read from UDP or TCP.");
        FramesMalformed = f.CreateCounter("presence_frames_malformed_total", "Frames dropped whole because they break the protocol (PROTOCOL.md).");
        var malformedReasons = f.CreateCounter("presence_frames_malformed_reasons_total", "Malformed frames by the rule they broke.", "reason");
        _malformedChildren = new Counter.Child[FrameStatusCount];
        for (int i = 1; i < FrameStatusCount; i++)
            _malformedChildren[i] = malformedReasons.WithLabels(SnakeCase(((FrameStatus)i).ToString()));
        RecordsAccepted = f.CreateCounter("presence_records_accepted_total", "Records that passed every check.");
        _rejected = f.CreateCounter("presence_records_rejected_total", "Well-formed records not applied, by reason.", "reason");
        _rejectedChildren =
        [
            _rejected.WithLabels("auth_failed"), _rejected.WithLabels("stale"),
            _rejected.WithLabels("replayed"), _rejected.WithLabels("unsigned_rejected"),
        ];
        RecordsCoalesced = f.CreateCounter("presence_records_coalesced_total", "Records absorbed by a newer one for the same user in a window.");
        var dropped = f.CreateCounter("presence_records_dropped_total",
            "Accepted records or users dropped before reaching the store, by reason: queue_full (coalescer behind), pending_full (--max-pending reached), shutdown (a TCP batch still waiting for room when the ingester stopped).", "reason");
        QueueFullDropped = dropped.WithLabels("queue_full");
        PendingFullDropped = dropped.WithLabels("pending_full");
        ShutdownDropped = dropped.WithLabels("shutdown");
        UsersExpired = f.CreateCounter("presence_users_expired_total", "Pending users dropped unwritten because their TTL ran out before their write (the store away, or behind a load faster than it).");
        var writes = f.CreateCounter("presence_store_writes_total", "Store commands, one per user per flush, by outcome: ok; failed (retried); missing (a refresh, SET … XX, found the key gone: written again in the next flush).", "result");
        _writesOk = writes.WithLabels("ok");
        _writesFailed = writes.WithLabels("failed");
        _writesMissing = writes.WithLabels("missing");
        PendingUsers = f.CreateGauge("presence_pending_users", "Users pending: received, not yet confirmed written.");
        KernelDrops = f.CreateCounter("presence_udp_kernel_drops_total", "The kernel's drop count for the UDP socket (/proc/net/udp).");
        ReceiveBufferBytes = f.CreateGauge("presence_udp_receive_buffer_bytes", "SO_RCVBUF the kernel granted to the UDP socket.");
        FlushSeconds = f.CreateHistogram("presence_flush_seconds", "Duration of one flush: every command of the batch issued and answered.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 16) });
        WriteLag = f.CreateHistogram("presence_write_lag_seconds",
            "Time from receiving a user's latest record to the store confirming its write: how stale presence is under load.",
            new HistogramConfiguration { Buckets = [0.025, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 1.5, 2, 3, 5, 7.5, 10, 15, 20, 30] });
        StoreUp = f.CreateGauge("presence_store_up", "1 when the last flush or ping reached the store, else 0.");
        StoreKeys = f.CreateGauge("presence_store_keys",
            "Keys with an expiry in the store's database, summed over its masters, read on scrape (INFO keyspace): the users online while the database holds only Presence's keys. NaN when the store did not answer.");

        var transitions = f.CreateCounter("presence_transitions_total",
            "Presence transitions seen by this ingester, by type: online (a write found no key), timeout (a user it wrote last expired), signout (a sign-out deleted a key).", "type");
        _transitionChildren = [transitions.WithLabels("online"), transitions.WithLabels("timeout"), transitions.WithLabels("signout")];
        TransitionsHeld = f.CreateCounter("presence_transitions_held_total",
            "Transitions that found the events log queue full (the store away for long), or a user's already held: held until the queue has room (per user its first and its latest).");
        TransitionsDropped = f.CreateCounter("presence_transitions_dropped_total",
            "Transitions never appended: a held user's between its first and latest held, or any of a user beyond the users that can be held.");
        EventLogAppends = f.CreateCounter("presence_event_log_appends_total", "Script calls appending transitions to the store's events log, by result (ok, failed: retried).", "result");
        LastSeenWrites = f.CreateCounter("presence_last_seen_writes_total",
            "Last seen writes, one per offline transition appended to the events log (--last-seen-days), by result: written, kept (a later value was already there), failed (retried), dropped (the queue was full).", "result");
        LastSeenForgotten = f.CreateCounter("presence_last_seen_forgotten_total", "Last seen entries removed for being older than --last-seen-days (the background trim, one bucket at a time).");
        EventLogBacklog = f.CreateGauge("presence_event_log_backlog",
            "Transitions not yet appended to the events log: queued, the batch being appended (retried while the store fails), plus one per user held for a full queue (read each flusher tick).");
        EventLogLastSeq = f.CreateGauge("presence_event_log_last_seq", "Sequence number of the events log's last line after this ingester's latest append.");
        TrackedUsers = f.CreateGauge("presence_expiry_tracked_users", "Users this ingester wrote last and watches for expiry.");
        HeapCompactions = f.CreateCounter("presence_heap_compactions_total", "Compacting full GCs after a burst that give the GC's emptied regions back to the kernel, by result (done; skipped: the live heap too large).", "result");
        HeapCompactions.WithLabels("done"); // both shown from the start, at 0
        HeapCompactions.WithLabels("skipped");

        TcpConnections = f.CreateGauge("presence_tcp_connections", "Gateway TCP connections open now.");
        TcpAccepted = f.CreateCounter("presence_tcp_connections_accepted_total", "Gateway TCP connections accepted (including those closed at once for being over --tcp-max-connections).");
        var tcpClosed = f.CreateCounter("presence_tcp_connections_closed_total",
            "Gateway TCP connections closed, by reason: eof, malformed, truncated, idle, over_limit, error, shutdown.", "reason");
        var reasons = Enum.GetValues<GatewayCloseReason>();
        _tcpClosedChildren = new Counter.Child[reasons.Length];
        foreach (var reason in reasons)
            _tcpClosedChildren[(int)reason] = tcpClosed.WithLabels(SnakeCase(reason.ToString()));
        TcpBufferedBytes = f.CreateGauge("presence_tcp_buffered_bytes", "Bytes read from gateway TCP connections and not yet parsed (each connection stops reading past 1 MiB).");
        TcpStalls = f.CreateCounter("presence_tcp_stalls_total", "Times a gateway TCP connection stopped reading to wait for room in the pipeline (--max-pending users pending, or the queue full).");

        // process_cpu_seconds_total, process_working_set_bytes (RSS on Linux), GC counts: what the
        // runbook budgets and the alerts watch. Read on scrape only, never on the receive path.
        DotNetStats.Register(Registry);
    }

    public CollectorRegistry Registry { get; }

    public Counter FramesReceived { get; }
    public Counter FramesMalformed { get; }
    public Counter RecordsAccepted { get; }
    public Counter RecordsCoalesced { get; }
    public Counter.Child QueueFullDropped { get; }
    public Counter.Child PendingFullDropped { get; }
    public Counter.Child ShutdownDropped { get; }
    public Counter UsersExpired { get; }
    public Gauge PendingUsers { get; }
    public Counter KernelDrops { get; }
    public Gauge ReceiveBufferBytes { get; }
    public Histogram FlushSeconds { get; }
    public Histogram WriteLag { get; }
    public Gauge StoreUp { get; }
    public Counter TransitionsHeld { get; }
    public Counter TransitionsDropped { get; }
    public Counter EventLogAppends { get; }
    public Counter HeapCompactions { get; }
    public Counter LastSeenWrites { get; }
    public Counter LastSeenForgotten { get; }
    public Gauge EventLogLastSeq { get; }
    public Gauge TrackedUsers { get; }
    public Gauge EventLogBacklog { get; }
    public Gauge StoreKeys { get; }
    public Gauge TcpConnections { get; }
    public Counter TcpAccepted { get; }
    public Gauge TcpBufferedBytes { get; }
    public Counter TcpStalls { get; }

    public Counter.Child WritesOk => _writesOk;
    public Counter.Child WritesFailed => _writesFailed;
    public Counter.Child WritesMissing => _writesMissing;

    internal Counter.Child Transitions(Presence.Core.Events.TransitionKind kind) => _transitionChildren[(int)kind];

    internal Counter.Child Rejected(RejectReason reason) => _rejectedChildren[(int)reason];

    internal Counter.Child Malformed(FrameStatus status) => _malformedChildren[(int)status];

    internal Counter.Child TcpClosed(GatewayCloseReason reason) => _tcpClosedChildren[(int)reason];

    private static string SnakeCase(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? "_" + char.ToLowerInvariant(c) : char.ToLowerInvariant(c).ToString()));
}
