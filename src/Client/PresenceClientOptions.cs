namespace Presence.Client;

/// <summary>How a <see cref="PresenceClient"/> talks to the query service. Every default is written here.</summary>
public sealed class PresenceClientOptions
{
    /// <summary>Longest a batch request may take, connect included; an events stream is bounded by <see cref="EventsReadTimeout"/> instead.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Most ids in one request: the service's <c>--max-batch</c> (default 1000). <see cref="PresenceClient.GetAsync(IReadOnlyList{ulong}, CancellationToken)"/>
    /// splits longer lists into several requests and keeps their order.
    /// </summary>
    public int MaxBatch { get; set; } = 1000;

    /// <summary>Sent as <c>Authorization: Bearer KEY</c> when set (the service's <c>--api-keys</c>).</summary>
    public string? ApiKey { get; set; }

    /// <summary>Whether to use the proxy the environment names (<c>http_proxy</c>); false goes straight to the service. Used only when the client makes its own HttpClient.</summary>
    public bool UseProxy { get; set; } = true;

    /// <summary>Whether a dropped events stream reconnects (resuming with <c>Last-Event-ID</c>).</summary>
    public bool Reconnect { get; set; } = true;

    /// <summary>First wait before reconnecting after a failed attempt; doubled each failure up to <see cref="MaxReconnectDelay"/>. A server's <c>retry:</c> or <c>Retry-After</c> overrides it.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// A stream that sends nothing for this long is taken as dead and reconnected: the service
    /// sends a keepalive at least every 15 s, so three missed keepalives.
    /// </summary>
    public TimeSpan EventsReadTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad option.</summary>
    public void Validate()
    {
        if (Timeout <= TimeSpan.Zero && Timeout != System.Threading.Timeout.InfiniteTimeSpan)
            throw new ArgumentException($"Timeout must be positive, not {Timeout}.", nameof(Timeout));
        if (MaxBatch < 1)
            throw new ArgumentException($"MaxBatch must be at least 1, not {MaxBatch}.", nameof(MaxBatch));
        if (ReconnectDelay < TimeSpan.Zero || MaxReconnectDelay < ReconnectDelay)
            throw new ArgumentException("ReconnectDelay must be 0 or more and at most MaxReconnectDelay.", nameof(ReconnectDelay));
        if (EventsReadTimeout <= TimeSpan.Zero)
            throw new ArgumentException($"EventsReadTimeout must be positive, not {EventsReadTimeout}.", nameof(EventsReadTimeout));
    }
}
