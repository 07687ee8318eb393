namespace Presence.LoadGen.Internal;

/// <summary>The batch answer of <c>POST /v1/presence/query</c> (HTTP-API.md).</summary>
internal sealed record QueryResponse(IReadOnlyList<QueryUser> Users, long Online);

/// <summary>One entry of a batch answer; <c>id</c> is a decimal string (ids may exceed 2^53).</summary>
internal sealed record QueryUser(string Id, bool Online, long? LastSeenMs);
