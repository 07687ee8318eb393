namespace Presence.Client.Internal;

/// <summary>An RFC 9457 problem document, with the service's id and index extensions.</summary>
internal sealed record WireProblem(string? Type, string? Title, int? Status, string? Detail, string? Id, int? Index);
