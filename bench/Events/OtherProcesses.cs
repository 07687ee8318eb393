using Presence.Testing;

namespace Presence.Bench.Events;

/// <summary>
/// The processes besides the node at one end of a window: redis-server, presence-ingest and this one (the
/// subscribers' client and the harness), sampled in that order; the window's length is redis-server's samples'.
/// </summary>
internal readonly record struct OtherProcesses(ProcessSample Redis, ProcessSample Ingest, ProcessSample Self)
{
    public static OtherProcesses Take(int redisPid, int ingestPid) =>
        new(ProcessSample.Take(redisPid), ProcessSample.Take(ingestPid), ProcessSample.Take(Environment.ProcessId));
}
