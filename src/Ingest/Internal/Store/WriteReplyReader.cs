using System.Buffers.Text;
using System.Text;

namespace Presence.Ingest.Internal.Store;

/// <summary>
/// Reads the replies to the ingester's writes (SET, SET … GET, SET … XX, DEL) as they arrive, across
/// receives, without allocating per reply: a status, an integer, nil, or a bulk string read as a
/// number when it is one (a longer one is skipped, never buffered). An error's line is kept as
/// <see cref="ErrorText"/>. Anything else (an array, a malformed line) throws
/// <see cref="InvalidDataException"/>: the stream can no longer be matched to the commands sent.
/// </summary>
internal sealed class WriteReplyReader
{
    /// <summary>The longest bulk string read as a number ("18446744073709551615" and a sign fit).</summary>
    private const int MaxNumberLength = 20;

    /// <summary>The longest line accepted (an error message); a longer one is a broken stream.</summary>
    public const int MaxLine = 8192;

    private long _skip; // bytes still to skip of a bulk string too long to be a number, CRLF included

    /// <summary>The line of the last <see cref="WriteReply.Error"/>.</summary>
    public string ErrorText { get; private set; } = "";

    /// <summary>Forgets a reply read in part: the next data starts a new stream (a new connection).</summary>
    public void Reset() => _skip = 0;

    /// <summary>Reads from <paramref name="data"/> to the end of the next whole reply, or as far as it can.</summary>
    /// <param name="value">An <see cref="WriteReply.Integer"/>'s or a <see cref="WriteReply.Number"/>'s value; 0 otherwise.</param>
    public WriteReply Read(ReadOnlySpan<byte> data, out int consumed, out long value)
    {
        value = 0;
        consumed = 0;
        if (_skip > 0)
            return Skip(data, ref consumed);
        int newline = data.IndexOf((byte)'\n');
        if (newline < 0)
        {
            if (data.Length > MaxLine)
                throw new InvalidDataException($"a reply line longer than {MaxLine} bytes");
            return WriteReply.NeedMore;
        }
        if (newline < 2 || data[newline - 1] != '\r')
            throw new InvalidDataException("a reply line without CRLF");
        var line = data[1..(newline - 1)];
        switch (data[0])
        {
            case (byte)'+':
                consumed = newline + 1;
                return WriteReply.Status;
            case (byte)'-':
                ErrorText = Encoding.UTF8.GetString(line);
                consumed = newline + 1;
                return WriteReply.Error;
            case (byte)':':
                value = Number(line);
                consumed = newline + 1;
                return WriteReply.Integer;
            case (byte)'$':
                long length = Number(line);
                if (length < 0)
                {
                    consumed = newline + 1;
                    return WriteReply.Nil;
                }
                if (length > MaxNumberLength)
                {
                    consumed = newline + 1;
                    _skip = length + 2;
                    return Skip(data, ref consumed);
                }
                int end = newline + 1 + (int)length;
                if (data.Length < end + 2)
                    return WriteReply.NeedMore; // the header is read again with the value
                if (data[end] != '\r' || data[end + 1] != '\n')
                    throw new InvalidDataException("a bulk string without CRLF after its length");
                consumed = end + 2;
                var text = data[(newline + 1)..end];
                if (Utf8Parser.TryParse(text, out long number, out int used) && used == text.Length && number >= 0)
                {
                    value = number;
                    return WriteReply.Number;
                }
                return WriteReply.Text;
            default:
                throw new InvalidDataException($"a reply of type '{(char)data[0]}' to a write");
        }
    }

    /// <summary>Skips what <paramref name="data"/> holds of a long bulk string: its end is a <see cref="WriteReply.Text"/> reply.</summary>
    private WriteReply Skip(ReadOnlySpan<byte> data, ref int consumed)
    {
        int skipped = (int)Math.Min(_skip, data.Length - consumed);
        consumed += skipped;
        _skip -= skipped;
        return _skip > 0 ? WriteReply.NeedMore : WriteReply.Text;
    }

    private static long Number(ReadOnlySpan<byte> line) =>
        Utf8Parser.TryParse(line, out long value, out int used) && used == line.Length && value >= -1
            ? value
            : throw new InvalidDataException("a reply number or length that is not one");
}
