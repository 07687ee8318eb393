namespace Presence.Bench.Faults.History;

/// <summary>The faults a schedule injects (issue 19): each is recorded with its start and end.</summary>
internal enum FaultKind
{
    /// <summary>SIGKILL of an ingester or query node, then a restart.</summary>
    Kill,
    /// <summary>SIGTERM (planned stop: drain and hand-over) of an ingester or query node, then a restart. No heartbeat may be lost across it.</summary>
    Term,
    /// <summary>redis-server paused (SIGSTOP) then resumed (SIGCONT).</summary>
    StorePause,
    /// <summary>redis-server killed and restarted with its data.</summary>
    StoreRestartWithData,
    /// <summary>redis-server killed and restarted without its data (a new events-log epoch).</summary>
    StoreRestartEmpty,
    /// <summary>The network between the services and the store taken down, then up (veth link in a network namespace of the run's own).</summary>
    Partition,
    /// <summary>CLIENT KILL of the services' store connections.</summary>
    ClientKill,
    /// <summary>The sender drops its datagrams (recorded as <see cref="HeartbeatSent.Dropped"/>).</summary>
    SenderDrop,
}
