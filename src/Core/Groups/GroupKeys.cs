using System.Buffers.Binary;

namespace Presence.Core.Groups;

/// <summary>
/// Where groups live in the store, for one key prefix (docs/HTTP-API.md, "Groups"; docs/REDIS.md):
/// <c>&lt;prefix&gt;group:{&lt;name&gt;}</c>, a sorted set whose members are the member ids as 8 bytes
/// big-endian, every score 0. Byte order is id order, so <c>ZRANGE</c> lists members ascending and a
/// page can start after any id (<c>ZRANGE … BYLEX</c>); 8 bytes is the least an id can take. The name
/// is the key's hash tag: one group's keys share a slot, and groups spread over a cluster's slots.
/// </summary>
public sealed class GroupKeys
{
    /// <summary>The longest name (docs/HTTP-API.md).</summary>
    public const int MaxNameLength = 128;

    private readonly string _prefix;

    public GroupKeys(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        _prefix = prefix + "group:{";
    }

    /// <summary>The key of group <paramref name="name"/> (a valid name: <see cref="IsValidName"/>).</summary>
    public string KeyOf(string name) => string.Concat(_prefix, name, "}");

    /// <summary>
    /// The membership version of group <paramref name="name"/>: a counter every membership write increments (in the
    /// same script, atomically with the change; in the group's slot), which open group streams compare to notice a
    /// change. Kept when the group is deleted, so a group written again never repeats a version.
    /// </summary>
    public string VersionKeyOf(string name) => string.Concat(_prefix, name, "}:v");

    /// <summary>
    /// Whether <paramref name="name"/> is a group name: <c>[A-Za-z0-9._:-]{1,128}</c>, and not <c>.</c> or <c>..</c>, which
    /// every URL resolver removes from a path (RFC 3986, 5.2.4), so no request could reach them on a single-group route.
    /// </summary>
    public static bool IsValidName(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > MaxNameLength || name is "." or "..")
            return false;
        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or ':' or '-'))
                return false;
        }
        return true;
    }

    /// <summary>A member as stored: the id in 8 bytes, big-endian.</summary>
    public static byte[] Member(ulong id)
    {
        var bytes = new byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, id);
        return bytes;
    }

    /// <summary>The id of a stored member; false for anything that is not 8 bytes of a nonzero id.</summary>
    public static bool TryReadMember(ReadOnlySpan<byte> member, out ulong id)
    {
        id = member.Length == sizeof(ulong) ? BinaryPrimitives.ReadUInt64BigEndian(member) : 0;
        return id != 0;
    }
}
