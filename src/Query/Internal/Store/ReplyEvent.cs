namespace Presence.Query.Internal.Store;

/// <summary>What <see cref="ReplyReader.Read"/> stopped at.</summary>
internal enum ReplyEvent
{
    /// <summary>The data ran out in the middle of a reply (or before one): receive more.</summary>
    NeedMore,

    /// <summary>A whole reply was read: its values are in <see cref="ReplyReader.Values"/>.</summary>
    Values,

    /// <summary>A simple-string reply (+PONG, +OK): <see cref="ReplyReader.Text"/>.</summary>
    Status,

    /// <summary>An error reply (-ERR …): <see cref="ReplyReader.Text"/>.</summary>
    Error,
}
