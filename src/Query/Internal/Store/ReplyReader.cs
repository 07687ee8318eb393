using System.Buffers.Text;
using System.Text;
using Presence.Core.LastSeen;

namespace Presence.Query.Internal.Store;

/// <summary>
/// Reads RESP replies as they arrive, across receives, without allocating per value: a GET's bulk
/// string, an MGET's array of them, the presence script's array of bulk strings and integers, a
/// status or an error line. A value is kept only as what the service needs (<see cref="PresenceStore"/>'s
/// values: a bulk string's non-negative integer, <see cref="PresenceStore.Offline"/> for nil,
/// <see cref="PresenceStore.UnknownTime"/> for any other string, and an integer element, a last seen
/// in Unix seconds, as <see cref="LastSeenTime.EncodeOffline"/>), so a long value is skipped, never buffered. Anything that is not such a reply throws <see cref="InvalidDataException"/>: the
/// stream can no longer be trusted.
/// </summary>
internal sealed class ReplyReader
{
    /// <summary>The longest value that can be an Int64 in decimal ("-9223372036854775808").</summary>
    private const int MaxNumberLength = 20;

    /// <summary>The longest line kept whole (an error message); longer ones are a broken stream.</summary>
    public const int MaxLine = 8192;

    /// <summary>The most elements accepted in one array (an MGET of more keys is never sent).</summary>
    private const int MaxElements = 1 << 20;

    private long[] _values = new long[64];
    private int _expected = -1; // elements still to come in the reply being read; -1 between replies
    private int _count;
    private long _skip; // bytes still to skip of a value too long to be a number, CRLF included

    /// <summary>The values of the last <see cref="ReplyEvent.Values"/> reply, in order.</summary>
    public ReadOnlySpan<long> Values => _values.AsSpan(0, _count);

    /// <summary>The line of the last <see cref="ReplyEvent.Status"/> or <see cref="ReplyEvent.Error"/> reply.</summary>
    public string Text { get; private set; } = "";

    /// <summary>True between replies: nothing of a reply has been consumed.</summary>
    public bool AtReplyStart => _expected < 0 && _skip == 0;

    /// <summary>Reads from <paramref name="data"/> up to the end of the next whole reply, or as far as it can.</summary>
    public ReplyEvent Read(ReadOnlySpan<byte> data, out int consumed)
    {
        consumed = 0;
        while (true)
        {
            var rest = data[consumed..];
            if (_skip > 0)
            {
                int skipped = (int)Math.Min(_skip, rest.Length);
                consumed += skipped;
                _skip -= skipped;
                if (_skip > 0)
                    return ReplyEvent.NeedMore;
                if (Add(PresenceStore.UnknownTime))
                    return ReplyEvent.Values;
                continue;
            }

            int newline = rest.IndexOf((byte)'\n');
            if (newline < 0)
            {
                if (rest.Length > MaxLine)
                    throw new InvalidDataException($"a reply line longer than {MaxLine} bytes");
                return ReplyEvent.NeedMore;
            }
            if (newline < 2 || rest[newline - 1] != '\r')
                throw new InvalidDataException("a reply line without CRLF");
            byte type = rest[0];
            var line = rest[1..(newline - 1)];

            if (_expected < 0)
            {
                switch (type)
                {
                    case (byte)'+':
                    case (byte)'-':
                        Text = Encoding.UTF8.GetString(line);
                        consumed += newline + 1;
                        return type == '+' ? ReplyEvent.Status : ReplyEvent.Error;
                    case (byte)'*':
                        long elements = Length(line);
                        if (elements > MaxElements)
                            throw new InvalidDataException($"an array of {elements} elements");
                        consumed += newline + 1;
                        _count = 0;
                        if (elements <= 0)
                            return ReplyEvent.Values; // an empty (or nil) array: no values
                        if (_values.Length < elements)
                            _values = new long[Math.Max(elements, 2L * _values.Length)];
                        _expected = (int)elements;
                        continue;
                    case (byte)'$':
                        _count = 0;
                        _expected = 1; // a lone bulk string: read below as a one-element reply
                        break;
                    default:
                        throw new InvalidDataException($"a reply of type '{(char)type}'");
                }
            }

            if (type == ':' && _expected > 0)
            {
                // The presence script's offline user with a last seen: its Unix seconds.
                long seconds = Length(line);
                consumed += newline + 1;
                if (Add(PresenceStore.LastSeen(seconds)))
                    return ReplyEvent.Values;
                continue;
            }
            if (type != '$')
                throw new InvalidDataException($"an array element of type '{(char)type}'");
            long length = Length(line);
            if (length < 0)
            {
                consumed += newline + 1;
                if (Add(PresenceStore.Offline))
                    return ReplyEvent.Values;
                continue;
            }
            if (length > MaxNumberLength)
            {
                consumed += newline + 1;
                _skip = length + 2;
                continue;
            }
            int end = newline + 1 + (int)length;
            if (rest.Length < end + 2)
                return ReplyEvent.NeedMore; // the header is read again with the value
            if (rest[end] != '\r' || rest[end + 1] != '\n')
                throw new InvalidDataException("a bulk string without CRLF after its length");
            consumed += end + 2;
            if (Add(ParseValue(rest[(newline + 1)..end])))
                return ReplyEvent.Values;
        }
    }

    /// <summary>What a presence key's value means: its integer when it is one and not negative, else <see cref="PresenceStore.UnknownTime"/>.</summary>
    internal static long ParseValue(ReadOnlySpan<byte> value) =>
        Utf8Parser.TryParse(value, out long ms, out int used) && used == value.Length && ms >= 0 ? ms : PresenceStore.UnknownTime;

    private bool Add(long value)
    {
        _values[_count++] = value;
        if (--_expected > 0)
            return false;
        _expected = -1;
        return true;
    }

    private static long Length(ReadOnlySpan<byte> line) =>
        Utf8Parser.TryParse(line, out long value, out int used) && used == line.Length && value >= -1
            ? value
            : throw new InvalidDataException("a reply length that is not a number");
}
