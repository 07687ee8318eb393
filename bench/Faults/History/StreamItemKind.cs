namespace Presence.Bench.Faults.History;

internal enum StreamItemKind
{
    Snapshot,
    Online,
    Offline,
}
