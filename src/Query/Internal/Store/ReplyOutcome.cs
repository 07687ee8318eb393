namespace Presence.Query.Internal.Store;

/// <summary>What a reply did to the read it answered (<see cref="ReplyMatcher.Complete"/>).</summary>
internal enum ReplyOutcome
{
    /// <summary>The read took the reply: its values (GET, MGET) or Ok (PING).</summary>
    Answered,

    /// <summary>The store answered with an error, and the read ended with <see cref="StoreStatus.Failed"/>.</summary>
    Refused,

    /// <summary>The read had already ended (timed out): the reply is dropped, the caller's buffer untouched.</summary>
    Late,

    /// <summary>Not a reply the read can have (another type, another count of values): the stream can no longer be trusted.</summary>
    Unexpected,
}
