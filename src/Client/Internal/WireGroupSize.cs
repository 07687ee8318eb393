namespace Presence.Client.Internal;

/// <summary><c>{"name","members"}</c>: the membership routes' and <c>GET /v1/groups/{name}</c>'s answer.</summary>
internal sealed record WireGroupSize(string? Name, long? Members);
