namespace Presence.Client;

/// <summary>
/// One page of <c>GET /v1/groups/{name}/presence</c>: some of a group's members, ascending by id, with
/// the group's counts (docs/HTTP-API.md, "Groups").
/// </summary>
/// <param name="Name">The group.</param>
/// <param name="Members">Every member of the group (0: the group has none, i.e. does not exist).</param>
/// <param name="Online">Every online member of the group, whatever the page holds.</param>
/// <param name="Users">This page's members, ascending by id, each as the batch routes answer it.</param>
/// <param name="Next">The cursor of the next page, opaque; null on the last page.</param>
public sealed record GroupPage(string Name, long Members, long Online, IReadOnlyList<UserPresence> Users, string? Next);
