namespace Presence.Ingest.Internal.Store;

/// <summary>What <see cref="WriteReplyReader.Read"/> stopped at: one reply to a write, or the need for more data.</summary>
internal enum WriteReply
{
    /// <summary>The data ran out in the middle of a reply (or before one): receive more.</summary>
    NeedMore,

    /// <summary>A simple string (<c>+OK</c>): a SET that wrote.</summary>
    Status,

    /// <summary>An error reply (<c>-ERR …</c>, <c>-OOM …</c>, <c>-MOVED …</c>): the command did nothing.</summary>
    Error,

    /// <summary>An integer (<c>:1</c>): DEL's count of removed keys, in the reader's value.</summary>
    Integer,

    /// <summary>The nil bulk string (<c>$-1</c>): SET … GET found no key, SET … XX wrote nothing.</summary>
    Nil,

    /// <summary>A bulk string that is a non-negative decimal integer, in the reader's value: SET … GET's old value.</summary>
    Number,

    /// <summary>Any other bulk string (too long, or not a number): SET … GET's old value, written by someone else.</summary>
    Text,
}
