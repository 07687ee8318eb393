using Presence.Bench.Faults.History;

namespace Presence.Bench.Faults.Run;

/// <summary>
/// Reads every ingester's drop counters about once a second (<see cref="DropCount"/>): whether a heartbeat
/// the store never saw was dropped by the kernel (a full receive buffer on a starved machine: counted,
/// like a datagram the network lost) or by the ingester. A read that fails (the ingester down) is left out.
/// </summary>
internal sealed class DropWatch(IReadOnlyList<Service> ingesters)
{
    private readonly List<DropCount> _counts = [];

    public IReadOnlyList<DropCount> Counts
    {
        get
        {
            lock (_counts)
                return [.. _counts];
        }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
            {
                foreach (var ingester in ingesters)
                {
                    long at = Clock.NowMs;
                    if (await ingester.MetricsAsync(stop) is not { } metrics)
                        continue;
                    var count = new DropCount(at, ingester.Name,
                        (long)Sum(metrics, "presence_udp_kernel_drops_total"), (long)Sum(metrics, "presence_records_dropped_total"),
                        (long)metrics.GetValueOrDefault("presence_records_dropped_total{reason=\"queue_full\"}"));
                    lock (_counts)
                        _counts.Add(count);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the end of the run
        }
    }

    // A counter's samples summed over its labels: "name" and "name{…}".
    private static double Sum(IReadOnlyDictionary<string, double> metrics, string name) =>
        metrics.Where(p => p.Key == name || p.Key.StartsWith(name + "{", StringComparison.Ordinal)).Sum(p => p.Value);
}
