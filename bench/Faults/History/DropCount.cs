namespace Presence.Bench.Faults.History;

/// <summary>
/// One read of an ingester's drop counters (its /metrics, about every second): the kernel's count of
/// datagrams its UDP socket's full receive buffer dropped (<c>presence_udp_kernel_drops_total</c>), and the
/// records it dropped itself, every reason summed (<c>presence_records_dropped_total</c>), and of those the
/// ones dropped with the coalescer's queue full (<c>{reason="queue_full"}</c>). All start at 0 when the
/// process (re)starts.
/// </summary>
internal readonly record struct DropCount(long AtMs, string Node, long KernelDrops, long RecordsDropped, long QueueFull = 0);
