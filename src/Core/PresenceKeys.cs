using System.Buffers.Text;
using System.Diagnostics;
using System.Text;

namespace Presence.Core;

/// <summary>
/// The store's key schema (PROTOCOL.md, "What the ingester stores"):
/// <c>&lt;prefix&gt;&lt;user id in decimal&gt;</c>, the value the receive time in Unix milliseconds.
/// </summary>
public static class PresenceKeys
{
    public const string DefaultPrefix = "presence:";

    /// <summary>Longest decimal form of a user id (18446744073709551615).</summary>
    public const int MaxUserIdDigits = 20;

    /// <summary>Writes prefix + decimal id into <paramref name="destination"/>; returns the length.</summary>
    public static int Format(ReadOnlySpan<byte> prefix, ulong userId, Span<byte> destination)
    {
        prefix.CopyTo(destination);
        bool ok = Utf8Formatter.TryFormat(userId, destination[prefix.Length..], out int digits);
        Debug.Assert(ok);
        return prefix.Length + digits;
    }

    /// <summary>The key as a new array of exactly its length (what a store client keeps).</summary>
    public static byte[] ToKey(ReadOnlySpan<byte> prefix, ulong userId)
    {
        var key = new byte[prefix.Length + CountDigits(userId)];
        Format(prefix, userId, key);
        return key;
    }

    public static int CountDigits(ulong value)
    {
        int digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }
        return digits;
    }

    public static string Format(string prefix, ulong userId) => string.Concat(prefix, userId.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public static byte[] EncodePrefix(string prefix) => Encoding.UTF8.GetBytes(prefix);
}
