using Presence.Core.Events;

namespace Presence.Ingest.Internal.Transitions;

/// <summary>A transition the ingester saw, on its way to the events log.</summary>
internal readonly record struct PresenceTransition(ulong UserId, TransitionKind Kind, long AtMs);
