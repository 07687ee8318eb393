namespace Presence.Client.Internal;

/// <summary>One entry of a batch answer or snapshot.</summary>
internal sealed record WireUser(string? Id, bool Online, long? LastSeenMs);
