using System.Diagnostics;
using Presence.Core.Events;

namespace Presence.Bench.Events;

/// <summary>How every run of streams reads its window's deliveries and delays (<see cref="WindowResult"/>).</summary>
internal static class WindowMeasure
{
    /// <summary>Waits until <paramref name="received"/> reaches <paramref name="expected"/>, for up to 20 s: the window's last lines still on their way.</summary>
    public static async Task AwaitDeliveriesAsync(Func<long> received, long expected, CancellationToken interrupt)
    {
        var deadline = Stopwatch.StartNew();
        while (received() < expected && deadline.Elapsed < TimeSpan.FromSeconds(20))
            await Task.Delay(250, interrupt);
    }

    /// <summary>Receive time minus <c>at</c> of each delivery of the log's lines after <paramref name="seq0"/> up to <paramref name="seq1"/>, in ms, ascending, by kind.</summary>
    public static Dictionary<TransitionKind, double[]> ClientDelays(SubscriberPool pool, long seq0, long seq1)
    {
        var delivered = pool.Subscribers.SelectMany(s => s.Deliveries()).Where(d => d.Seq > seq0 && d.Seq <= seq1).ToList();
        return new Dictionary<TransitionKind, double[]>
        {
            [TransitionKind.Online] = Delays(delivered, TransitionKind.Online),
            [TransitionKind.Timeout] = Delays(delivered, TransitionKind.Timeout),
            [TransitionKind.Signout] = Delays(delivered, TransitionKind.Signout),
        };
    }

    /// <summary>The node's presence_event_delay_seconds of one <c>type</c> (online, offline) between two scrapes.</summary>
    public static HistogramCounts ServerDelays(MetricsPage before, MetricsPage after, string type) =>
        after.Histogram("presence_event_delay_seconds", $"type=\"{type}\"").Minus(before.Histogram("presence_event_delay_seconds", $"type=\"{type}\""));

    private static double[] Delays(List<Delivery> delivered, TransitionKind kind) =>
        [.. delivered.Where(d => d.Kind == kind).Select(d => d.DelayMs).Order()];
}
