using Presence.Core.Events;
using Presence.Ingest.Internal.Transitions;

namespace Presence.Unit.Tests.Ingest;

/// <summary>Where a unit test's transitions go (<see cref="ITransitionSink"/>): a list, with what would be counted.</summary>
internal sealed class RecordedTransitions : ITransitionSink
{
    private readonly List<PresenceTransition> _queued = [];
    private readonly int[] _counted = new int[Enum.GetValues<TransitionKind>().Length];

    /// <summary>Transitions queued and not yet taken.</summary>
    public int Queued => _queued.Count;

    public void Enqueue(PresenceTransition transition, bool counted = true)
    {
        if (counted)
            _counted[(int)transition.Kind]++;
        _queued.Add(transition);
    }

    public void EnqueuePair(PresenceTransition timeout, PresenceTransition relayedOnline)
    {
        Enqueue(timeout);
        Enqueue(relayedOnline);
    }

    /// <summary>Transitions of <paramref name="kind"/> that count in <c>presence_transitions_total</c>, as the events log's queue counts them.</summary>
    public int Counted(TransitionKind kind) => _counted[(int)kind];

    /// <summary>Takes every transition queued, in order.</summary>
    public List<PresenceTransition> Take()
    {
        var taken = new List<PresenceTransition>(_queued);
        _queued.Clear();
        return taken;
    }
}
