namespace Presence.Ingest.Internal.Transitions;

/// <summary>
/// A user the events log has online (since <see cref="OnlineAtMs"/>, the online set's value; <see cref="Unknown"/> when it
/// does not parse), with its key's receive time, or <see cref="KeyGone"/>.
/// </summary>
internal readonly record struct SweptUser(ulong UserId, long WrittenMs, long OnlineAtMs = SweptUser.Unknown)
{
    public const long KeyGone = -1;
    public const long Unknown = -1;
}
