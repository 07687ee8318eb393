using Presence.Bench.Faults.History;

namespace Presence.Bench.Faults.Run;

/// <summary>
/// Injects one fault at a time and records it with its start and its end: when the system is whole
/// again (a restarted process answers /readyz; after a store fault every service's /readyz is 200 again).
/// </summary>
internal sealed class Faults(Store store, IReadOnlyList<Service> ingesters, IReadOnlyList<Service> queries, Sender sender, Random random, bool partitions, bool quick, CancellationToken cancel)
{
    private static readonly TimeSpan s_recovery = TimeSpan.FromSeconds(90);

    private readonly List<FaultRecord> _faults = [];

    public IReadOnlyList<FaultRecord> Records
    {
        get
        {
            lock (_faults)
                return [.. _faults];
        }
    }

    /// <summary>The kinds this run can inject (partitions need root and `ip`).</summary>
    public IReadOnlyList<FaultKind> Kinds =>
        [.. Enum.GetValues<FaultKind>().Where(k => k != FaultKind.Partition || partitions)];

    /// <summary>Injects <paramref name="kind"/>; a kill or stop hits <paramref name="target"/>, or a random service when null.</summary>
    public async Task InjectAsync(FaultKind kind, Service? target = null)
    {
        switch (kind)
        {
            case FaultKind.Kill:
            case FaultKind.Term:
            {
                var services = ingesters.Concat(queries).ToList();
                target ??= services[random.Next(services.Count)];
                Console.WriteLine($"[fault] {kind} {target.Name}");
                long start = Clock.NowMs;
                if (kind == FaultKind.Kill)
                    target.Kill();
                else
                    target.Term();
                await target.StartAsync(cancel);
                Record(kind, target.Name, start);
                break;
            }
            case FaultKind.StorePause:
            {
                var node = store.Nodes[random.Next(store.Nodes.Count)];
                Console.WriteLine($"[fault] {kind} {node.Name}");
                long start = Clock.NowMs;
                node.Pause();
                try
                {
                    await Task.Delay(Window(1000, quick ? 2000 : 5000), cancel);
                }
                finally
                {
                    node.Resume();
                }
                await AllReadyAsync();
                Record(kind, node.Name, start);
                break;
            }
            case FaultKind.StoreRestartWithData:
            case FaultKind.StoreRestartEmpty:
            {
                var node = store.Nodes[random.Next(store.Nodes.Count)];
                Console.WriteLine($"[fault] {kind} {node.Name}");
                long start = Clock.NowMs;
                await store.RestartAsync(node, keepData: kind == FaultKind.StoreRestartWithData, cancel);
                await AllReadyAsync();
                Record(kind, node.Name, start);
                break;
            }
            case FaultKind.Partition:
            {
                var netns = store.NetNs!;
                Console.WriteLine($"[fault] {kind} {netns.HostLink} down");
                long start = Clock.NowMs;
                netns.SetLink(up: false);
                try
                {
                    await Task.Delay(Window(1000, quick ? 3000 : 8000), cancel);
                }
                finally
                {
                    netns.SetLink(up: true);
                }
                await AllReadyAsync();
                Record(kind, netns.HostLink, start);
                break;
            }
            case FaultKind.ClientKill:
            {
                long start = Clock.NowMs;
                int killed = store.KillServiceClients();
                Console.WriteLine($"[fault] {kind}: {killed} connections of the services");
                await AllReadyAsync();
                Record(kind, $"{killed} connections", start);
                break;
            }
            case FaultKind.SenderDrop:
            {
                Console.WriteLine($"[fault] {kind}");
                long start = Clock.NowMs;
                sender.Dropping = true;
                try
                {
                    await Task.Delay(Window(1000, quick ? 2000 : 5000), cancel);
                }
                finally
                {
                    sender.Dropping = false;
                }
                Record(kind, "sender", start);
                break;
            }
        }
    }

    /// <summary>Waits until every running service answers /readyz 200 (the store is back for all of them).</summary>
    public async Task AllReadyAsync() =>
        await Clock.UntilAsync(async () =>
        {
            foreach (var s in ingesters.Concat(queries))
            {
                s.Process.ThrowIfExited();
                if (!await s.ReadyAsync(cancel))
                    return false;
            }
            return true;
        }, s_recovery, "every service's /readyz 200 again", cancel);

    /// <summary>How long a fault lasts: <paramref name="minMs"/> … <paramref name="maxMs"/>.</summary>
    private int Window(int minMs, int maxMs) => minMs + random.Next(maxMs - minMs);

    private void Record(FaultKind kind, string target, long start)
    {
        var record = new FaultRecord(kind, target, start, Clock.NowMs);
        lock (_faults)
            _faults.Add(record);
        Console.WriteLine($"[fault] {kind} {target}: whole again after {record.EndMs - record.StartMs} ms");
    }
}
