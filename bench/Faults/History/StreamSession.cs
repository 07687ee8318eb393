namespace Presence.Bench.Faults.History;

/// <summary>
/// One HTTP connection of a subscriber to a query node, from connect to end. A subscriber watches a
/// fixed set of ids and opens one session after another (disconnects, node faults, resumes on a random
/// node); its state carries over between sessions unless a snapshot replaces it.
/// <see cref="Debounce"/> is the <c>debounce=S</c> it asked for (seconds; 0: a plain stream, and histories
/// recorded before debounced subscribers have none): a debounced session's ids are
/// <c>&lt;epoch&gt;-&lt;seq&gt;-&lt;ms&gt;-&lt;node&gt;-&lt;S&gt;</c> and its events follow HTTP-API.md, "Debounce".
/// </summary>
internal sealed record StreamSession(
    int Subscriber,
    int Session,
    string Node,
    long ConnectedMs,
    // When the session ended; null when it was still open at the end of the run.
    long? EndedMs,
    ResumeKind Resume,
    // The Last-Event-ID sent, if any.
    string? LastEventIdSent,
    // Why it ended: "client" (the subscriber left on purpose), "server", "error", or null when open.
    string? EndReason,
    // True when this subscriber reads slowly on purpose (it may be ended for overflow).
    bool Slow,
    IReadOnlyList<StreamItem> Items,
    int Debounce = 0)
{
    /// <summary>Whether the session asked for <c>debounce=S</c> (judged by the debounce rules, not the plain stream rules).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool Debounced => Debounce > 0;
}
