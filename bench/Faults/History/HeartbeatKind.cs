namespace Presence.Bench.Faults.History;

/// <summary>The record kinds of PROTOCOL.md a run sends: a heartbeat (kind 0) or a sign-out (kind 1).</summary>
internal enum HeartbeatKind : byte
{
    Heartbeat = 0,
    SignOut = 1,
}
