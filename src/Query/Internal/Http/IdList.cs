namespace Presence.Query.Internal.Http;

/// <summary>What parsing a request's ids gave: a count of ids written to the caller's buffer, or why not.</summary>
internal readonly struct IdList
{
    private IdList(IdListStatus status, int count, string? badId, int badIndex, string? detail)
    {
        Status = status;
        Count = count;
        BadId = badId;
        BadIndex = badIndex;
        Detail = detail;
    }

    public IdListStatus Status { get; }

    public int Count { get; }

    /// <summary>The offending id as the client wrote it (shortened when long).</summary>
    public string? BadId { get; }

    public int BadIndex { get; }

    /// <summary>For <see cref="IdListStatus.Malformed"/>: what was wrong.</summary>
    public string? Detail { get; }

    public static IdList Ok(int count) => new(IdListStatus.Ok, count, null, -1, null);

    public static IdList Empty => new(IdListStatus.Empty, 0, null, -1, null);

    public static IdList TooMany => new(IdListStatus.TooMany, 0, null, -1, null);

    public static IdList Bad(int index, string text) => new(IdListStatus.BadId, 0, text, index, null);

    public static IdList Malformed(string detail) => new(IdListStatus.Malformed, 0, null, -1, detail);
}
