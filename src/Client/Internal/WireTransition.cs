namespace Presence.Client.Internal;

/// <summary>The data of an online or offline event.</summary>
internal sealed record WireTransition(string? Id, long At, string? Reason);
