namespace Presence.Client.Internal;

/// <summary>The batch answer and a snapshot's data (HTTP-API.md); ids are decimal strings.</summary>
internal sealed record WireBatch(List<WireUser>? Users, int Online);
