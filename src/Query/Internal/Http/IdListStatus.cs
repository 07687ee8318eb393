namespace Presence.Query.Internal.Http;

internal enum IdListStatus
{
    Ok,
    /// <summary>No id at all.</summary>
    Empty,
    /// <summary>More ids than the batch limit.</summary>
    TooMany,
    /// <summary>An id that is not an integer in 1 … 2^64-1; <see cref="IdList.BadId"/> names it.</summary>
    BadId,
    /// <summary>A body that is not JSON, or not of the shape <c>{"ids":[…]}</c>.</summary>
    Malformed,
}
