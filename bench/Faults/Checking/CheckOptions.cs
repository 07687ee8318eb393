namespace Presence.Bench.Faults.Checking;

/// <summary>
/// The tolerances of <see cref="HistoryChecker"/> (docs/FAULTS.md, "The checker's rules"). Each is a bound a
/// correct system stays inside on a loaded machine; a smaller value judges more strictly, and a value
/// that a correct run can exceed makes the checker flaky, which is worse than no checker.
/// </summary>
internal sealed record CheckOptions
{
    /// <summary>How much later than its last receive + ttl a key may expire (rule <c>expiry</c>): "no key outlives its last receive + ttl by more than 1 s".</summary>
    public long ExpiryMarginMs { get; init; } = 1000;

    /// <summary>
    /// The bound on sender → ingester → store: a heartbeat sent at <c>s</c> is in the store by <c>s + LagBoundMs</c>
    /// (rule <c>heartbeat-lost</c>), and a receive time is at most this much after its send (rule <c>timeout-at</c>).
    /// Also how long before a fault's start a heartbeat may still be in flight (and so excused).
    /// </summary>
    public long LagBoundMs { get; init; } = 3000;

    /// <summary>How long after a fault's <see cref="History.FaultRecord.EndMs"/> its effects are still excused (backlogs draining, reconnects).</summary>
    public long FaultGraceMs { get; init; } = 3000;

    /// <summary>
    /// A store sample's own read time: the key is read at most this long after the sample's <c>AtMs</c>
    /// (one round trip). A key is required to exist only while its heartbeat's receive + ttl is at least
    /// this far after the sample (rule <c>heartbeat-lost</c>).
    /// </summary>
    public long SampleSlackMs { get; init; } = 1_000;

    /// <summary>
    /// Two ingesters writing one user in the same few hundred milliseconds (a user moving between
    /// ingesters): docs/EVENTS.md says its offline <c>at</c> may come from the first ingester's last
    /// write rather than the second's. A value sampled before a timeout may exceed <c>at − ttl</c> by this
    /// much (rule <c>timeout-at</c>).
    /// </summary>
    public long IngesterRaceMs { get; init; } = 500;

    /// <summary>
    /// How much earlier than the sender's send time an ingester's receive time may read: presence-ingest's clock
    /// is its start's Unix ms plus a monotonic elapsed time, each truncated to the ms (rules <c>timeout-at</c>,
    /// <c>heartbeat-lost</c>).
    /// </summary>
    public long ClockSkewMs { get; init; } = 5;

    /// <summary>
    /// How much earlier than its <c>at</c> + S a debounced stream's offline may arrive (rule
    /// <c>debounce-offline-held</c>): the clocks' granularity only. <c>at</c> is an ingester's clock (its start's
    /// Unix ms plus a monotonic elapsed time, each truncated), the node's and the run's are the machine's.
    /// </summary>
    public long DebounceClockMs { get; init; } = 5;
}
