using Presence.Core.Events;

namespace Presence.Bench.Events;

/// <summary>
/// What every run of streams measures over its steady window (<see cref="EventsResult"/>, <see cref="GroupsResult"/>):
/// the node's streams, RSS and CPU, the other processes' CPU, the delivery check, the delays and the store's work.
/// </summary>
internal abstract class WindowResult
{
    public required int Run { get; init; }
    public required double WindowSeconds { get; init; }
    public required string LoadAverage { get; init; }

    /// <summary>Seconds until every stream had its snapshot.</summary>
    public required double ConnectSeconds { get; init; }

    /// <summary>The lowest presence_event_subscribers the node reported during the window.</summary>
    public required double SubscribersHeldMin { get; init; }
    public required long QueryRssAfterConnectBytes { get; init; }
    public required long QueryRssBytes { get; init; }
    public required long QueryPeakRssBytes { get; init; }
    public required double QueryCores { get; init; }
    public required double RedisCores { get; init; }
    public required double IngestCores { get; init; }
    /// <summary>This process: the subscribers' client (and the harness).</summary>
    public required double ClientCores { get; init; }

    /// <summary>Transitions the ingester dropped (its queue to the log full) since it started: the log then misses them for good.</summary>
    public required double IngestTransitionsDroppedSinceStart { get; init; }
    public required DeliveryCheck Check { get; init; }

    /// <summary>Receive time minus <c>at</c> of each delivery in the window, in ms, ascending, by kind.</summary>
    public required Dictionary<TransitionKind, double[]> ClientDelays { get; init; }
    public required HistogramCounts ServerOnline { get; init; }
    public required HistogramCounts ServerOffline { get; init; }
    public required StoreWork Store { get; init; }
}
