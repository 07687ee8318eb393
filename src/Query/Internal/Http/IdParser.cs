using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Primitives;

namespace Presence.Query.Internal.Http;

/// <summary>
/// Reads user ids from a route value, a comma list or a JSON body into a caller's buffer, without
/// allocating per id. Ids are unsigned 64-bit, 1 … 18446744073709551615: a JSON number is read from
/// its own token (never through a double), so ids above 2^53 stay exact.
/// </summary>
internal static class IdParser
{
    /// <summary>How much of a bad id is echoed back in an error.</summary>
    private const int MaxEcho = 64;

    /// <summary>One id in decimal: ASCII digits only (no sign, space or exponent), not 0, fitting 64 bits.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out ulong id) =>
        ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id != 0;

    public static bool TryParse(ReadOnlySpan<byte> utf8, out ulong id) =>
        ulong.TryParse(utf8, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id != 0;

    /// <summary>
    /// Comma-separated ids from query values (<c>?ids=1,2,3</c>; several <c>ids</c> parameters are read
    /// in order). An empty list is <see cref="IdListStatus.Empty"/>; an empty item between commas is a bad id.
    /// </summary>
    public static IdList ParseList(StringValues values, Span<ulong> ids)
    {
        int count = 0;
        foreach (var value in values)
        {
            if (!string.IsNullOrEmpty(value) && AppendItems(value, ids, ref count) is { } problem)
                return problem;
        }
        return count == 0 ? IdList.Empty : IdList.Ok(count);
    }

    /// <summary>
    /// The ids of every <paramref name="name"/> parameter of a raw query string (<c>?a=b&amp;ids=1,2</c>,
    /// as the request carried it), read as <see cref="ParseList"/> reads the decoded parameters: names
    /// match ignoring case, a parameter without '=' has an empty value. Nothing is allocated, where
    /// building the request's query collection copies every value. False, with nothing read, when the
    /// query has anything to decode ('%' or '+'): the caller then reads the decoded collection.
    /// </summary>
    public static bool TryParseRawQuery(ReadOnlySpan<char> query, string name, Span<ulong> ids, out IdList list)
    {
        list = IdList.Empty;
        if (query.IndexOfAny('%', '+') >= 0)
            return false;
        if (query.StartsWith('?'))
            query = query[1..];
        int count = 0;
        foreach (var range in query.Split('&'))
        {
            var pair = query[range];
            int equals = pair.IndexOf('=');
            var key = equals >= 0 ? pair[..equals] : pair;
            if (equals < 0 || !key.Equals(name, StringComparison.OrdinalIgnoreCase) || equals == pair.Length - 1)
                continue; // another parameter, or an empty value: ParseList skips those too
            if (AppendItems(pair[(equals + 1)..], ids, ref count) is { } problem)
            {
                list = problem;
                return true;
            }
        }
        list = count == 0 ? IdList.Empty : IdList.Ok(count);
        return true;
    }

    /// <summary>The comma-separated items of one value, appended at ids[count..]; a problem, or null when all were ids.</summary>
    private static IdList? AppendItems(ReadOnlySpan<char> value, Span<ulong> ids, ref int count)
    {
        foreach (var range in value.Split(','))
        {
            var item = value[range];
            if (count == ids.Length)
                return IdList.TooMany;
            if (!TryParse(item, out ids[count]))
                return IdList.Bad(count, Echo(item));
            count++;
        }
        return null;
    }

    /// <summary>
    /// A body <c>{"ids":[1,"2",3]}</c>: each id a JSON number or a decimal string. Other members are
    /// ignored. Parsing stops at the first bad id or at the id past the limit (<paramref name="ids"/>' length).
    /// </summary>
    public static IdList ParseBody(in ReadOnlySequence<byte> body, Span<ulong> ids) => ParseMember(body, ids, "ids"u8, optional: false);

    /// <summary>
    /// The id array <paramref name="member"/> of a JSON object body, as <see cref="ParseBody"/> reads <c>"ids"</c>;
    /// when <paramref name="optional"/>, a body without it gives <see cref="IdListStatus.Empty"/>.
    /// </summary>
    public static IdList ParseMember(in ReadOnlySequence<byte> body, Span<ulong> ids, ReadOnlySpan<byte> member, bool optional)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return IdList.Malformed($"the body must be a JSON object {{\"{Encoding.UTF8.GetString(member)}\":[…]}}");

            IdList? found = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals(member))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                if (found is not null)
                    return IdList.Malformed($"\"{Encoding.UTF8.GetString(member)}\" is given more than once");
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                    return IdList.Malformed($"\"{Encoding.UTF8.GetString(member)}\" must be an array");
                var list = ParseArray(ref reader, ids);
                if (list.Status != IdListStatus.Ok && list.Status != IdListStatus.Empty)
                    return list;
                found = list;
            }
            // The reader throws on anything after the closing brace, or on a body cut short.
            while (reader.Read())
            {
            }
            return found ?? (optional ? IdList.Empty : IdList.Malformed($"the body has no \"{Encoding.UTF8.GetString(member)}\" member"));
        }
        catch (JsonException e)
        {
            return IdList.Malformed($"not valid JSON: {e.Message}");
        }
    }

    private static IdList ParseArray(ref Utf8JsonReader reader, Span<ulong> ids)
    {
        int count = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (count == ids.Length)
                return IdList.TooMany;
            switch (reader.TokenType)
            {
                case JsonTokenType.Number:
                    if (!reader.TryGetUInt64(out ids[count]) || ids[count] == 0)
                        return IdList.Bad(count, Echo(RawToken(ref reader)));
                    break;
                case JsonTokenType.String:
                    if (!TryParseString(ref reader, out ids[count]))
                        return IdList.Bad(count, Echo(reader.GetString()));
                    break;
                case JsonTokenType.True:
                    return IdList.Bad(count, "true");
                case JsonTokenType.False:
                    return IdList.Bad(count, "false");
                case JsonTokenType.Null:
                    return IdList.Bad(count, "null");
                default:
                    return IdList.Bad(count, reader.TokenType == JsonTokenType.StartArray ? "[…]" : "{…}");
            }
            count++;
        }
        return count == 0 ? IdList.Empty : IdList.Ok(count);
    }

    private static bool TryParseString(ref Utf8JsonReader reader, out ulong id)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
            return TryParse(reader.ValueSpan, out id);
        // Rare: an escaped ("\u0031") or split string. 20 digits is the longest valid id.
        Span<byte> buffer = stackalloc byte[64];
        long length = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (length > buffer.Length)
        {
            id = 0;
            return false;
        }
        int written = reader.CopyString(buffer);
        return TryParse(buffer[..written], out id);
    }

    private static ReadOnlySpan<byte> RawToken(ref Utf8JsonReader reader) =>
        reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan;

    private static string Echo(ReadOnlySpan<char> text) =>
        text.Length <= MaxEcho ? text.ToString() : string.Concat(text[..MaxEcho], "…");

    private static string Echo(ReadOnlySpan<byte> utf8) => Echo(Encoding.UTF8.GetString(utf8[..Math.Min(utf8.Length, MaxEcho * 4)]));

    /// <summary>Text a client sent, for a problem's detail: shortened past 64 characters.</summary>
    internal static string Echo(string? text) => Echo(text.AsSpan());
}
