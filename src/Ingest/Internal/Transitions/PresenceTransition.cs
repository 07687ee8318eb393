using Presence.Core.Events;

namespace Presence.Ingest.Internal.Transitions;

/// <summary>
/// A transition the ingester saw, on its way to the events log. <see cref="Possible"/>: an online it is not
/// sure of (a key of a user it met anew), which the log drops silently when it has the user online.
/// </summary>
internal readonly record struct PresenceTransition(ulong UserId, TransitionKind Kind, long AtMs, bool Possible = false);
