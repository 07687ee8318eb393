namespace Presence.Client.Internal;

/// <summary>
/// The data of a group stream's <c>online</c>, <c>offline</c>, <c>member_added</c> or <c>member_removed</c> event, as
/// sent: each holds some of these (docs/HTTP-API.md, "group streams").
/// </summary>
internal sealed record WireMemberEvent(string? Id, long? At, string? Reason, bool? Online, long? LastSeenMs, long? Members, long? Count);
