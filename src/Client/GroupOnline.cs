namespace Presence.Client;

/// <summary>A watched group that was offline is online: a member came online, or a membership change gave it an online member.</summary>
/// <param name="Name">The group.</param>
/// <param name="At">Unix ms: the member's <see cref="UserOnline.At"/>, or when the service applied the membership change.</param>
public sealed record GroupOnline(string? EventId, string Name, long At) : GroupsEvent(EventId);
