namespace Presence.Ingest.Internal.Transitions;

/// <summary>Where seen transitions go: the events log's queue (<see cref="EventLogAppender"/>), or a test's list.</summary>
internal interface ITransitionSink
{
    /// <summary>
    /// Takes a transition, in the order seen. <paramref name="counted"/>: whether it counts in
    /// <c>presence_transitions_total</c> (false for a possible online the log decides on).
    /// </summary>
    void Enqueue(PresenceTransition transition, bool counted = true);

    /// <summary>
    /// Takes a timeout and the relayed online after it (<see cref="PresenceTransition.Relayed"/>), both counted: they reach
    /// the log together, in one append call and next to each other, since the log takes that online only right after a
    /// timeout of the user that ended a period.
    /// </summary>
    void EnqueuePair(PresenceTransition timeout, PresenceTransition relayedOnline);
}
