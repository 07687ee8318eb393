using System.Globalization;
using System.Text;
using Presence.Core.Groups;

namespace Presence.Client.Internal;

/// <summary>
/// The group routes' paths (docs/HTTP-API.md, "Groups"), relative to the client's base address, and the
/// checks a name or parameter gets before any request: what the service would answer 400 for is refused
/// here as an <see cref="ArgumentException"/>.
/// </summary>
internal static class GroupRoutes
{
    /// <summary><c>POST /v1/groups/presence</c>.</summary>
    public const string ManyPresence = "v1/groups/presence";

    /// <summary><c>POST /v1/groups/events</c>: many groups' stream.</summary>
    public const string ManyEvents = "v1/groups/events";

    private const string Groups = "v1/groups/";

    /// <summary><c>/v1/groups/{name}</c>: replace (PUT), delete (DELETE), size (GET).</summary>
    public static string Group(string name) => Groups + name;

    /// <summary><c>/v1/groups/{name}/members</c>: change (POST).</summary>
    public static string Members(string name) => Groups + name + "/members";

    /// <summary><c>/v1/groups/{name}/events</c>: one group's stream (GET).</summary>
    public static string Events(string name) => Groups + name + "/events";

    /// <summary><c>/v1/groups/{name}/presence</c> with <c>online=only</c>, <c>limit</c> and <c>cursor</c> when given.</summary>
    public static string Presence(string name, bool onlineOnly, int? limit, string? cursor)
    {
        var path = new StringBuilder(Groups).Append(name).Append("/presence");
        char separator = '?';
        if (onlineOnly)
        {
            path.Append(separator).Append("online=only");
            separator = '&';
        }
        if (limit is { } l)
        {
            path.Append(separator).Append("limit=").Append(l.ToString(CultureInfo.InvariantCulture));
            separator = '&';
        }
        if (cursor is not null)
            path.Append(separator).Append("cursor=").Append(Uri.EscapeDataString(cursor));
        return path.ToString();
    }

    /// <summary>
    /// A name the service takes (<c>[A-Za-z0-9._:-]{1,128}</c>, not <c>.</c> or <c>..</c>: <see cref="GroupKeys.IsValidName"/>); else
    /// <see cref="ArgumentException"/> (the service would answer 400 <see cref="PresenceProblemTypes.BadGroupName"/>).
    /// </summary>
    public static void CheckName(string name, string paramName)
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        if (!GroupKeys.IsValidName(name))
            throw new ArgumentException($"'{Shown(name)}' is no group name: [A-Za-z0-9._:-], 1 to {GroupKeys.MaxNameLength} characters, not . or ...", paramName);
    }

    /// <summary>A page size: at least 1, else <see cref="ArgumentOutOfRangeException"/>; the most is the service's <c>--max-batch</c>, which it checks.</summary>
    public static void CheckLimit(int? limit, string paramName)
    {
        if (limit is < 1)
            throw new ArgumentOutOfRangeException(paramName, limit, "A page holds at least 1 member (at most the service's --max-batch).");
    }

    /// <summary>A cursor: null (the first page) or the <see cref="GroupPage.Next"/> of a page, never empty.</summary>
    public static void CheckCursor(string? cursor, string paramName)
    {
        if (cursor is { Length: 0 })
            throw new ArgumentException("A cursor is the Next of the previous page, or null for the first page; not empty.", paramName);
    }

    private static string Shown(string name) => name.Length <= 64 ? name : string.Concat(name.AsSpan(0, 64), "…");
}
