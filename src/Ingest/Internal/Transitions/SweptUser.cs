namespace Presence.Ingest.Internal.Transitions;

/// <summary>A user the events log has online, with its key's receive time, or <see cref="KeyGone"/>.</summary>
internal readonly record struct SweptUser(ulong UserId, long WrittenMs)
{
    public const long KeyGone = -1;
}
