namespace Presence.Bench.Faults.History;

/// <summary>How a stream session was opened: what <c>Last-Event-ID</c> it sent.</summary>
internal enum ResumeKind
{
    /// <summary>No Last-Event-ID: a snapshot must come first.</summary>
    Fresh,
    /// <summary>The id of the last event the subscriber received (a real resume).</summary>
    Resume,
    /// <summary>Deliberately unservable ids: each must get a snapshot first.</summary>
    Garbage,
    PastEnd,
    ForeignEpoch,
}
