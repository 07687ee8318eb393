namespace Presence.Client.Internal;

/// <summary>The data of the many-groups stream's <c>online</c> or <c>offline</c> event, as sent.</summary>
internal sealed record WireGroupChange(string? Name, long? At, string? Reason);
