namespace Presence.Bench.Faults.History;

/// <summary>
/// One record the run's sender handed to the socket (or, when <see cref="Dropped"/>, meant to send and
/// dropped on purpose: the "datagrams dropped at the sender" fault). <see cref="SentMs"/> is read just
/// before the send call, so the ingester's receive time (the stored value) is never earlier.
/// </summary>
internal readonly record struct HeartbeatSent(ulong User, long SentMs, HeartbeatKind Kind, bool Dropped);
