namespace Presence.Bench.Events;

/// <summary>
/// Undoes HTTP/1.1 chunked transfer coding (RFC 9112 §7.1) in place, across reads: Kestrel sends a
/// streamed response without a length as chunks. Chunk extensions and trailers are skipped.
/// </summary>
internal sealed class ChunkedDecoder
{
    private State _state = State.Size;
    private long _size;
    private bool _extension;

    private enum State : byte { Size, Data, DataEnd, Done }

    /// <summary>The last (zero-length) chunk was read: the response is complete.</summary>
    public bool Ended => _state == State.Done;

    /// <summary>Replaces <paramref name="buffer"/>'s start with the body bytes it carries; returns how many.</summary>
    public int DecodeInPlace(Span<byte> buffer)
    {
        int read = 0, write = 0;
        while (read < buffer.Length)
        {
            switch (_state)
            {
                case State.Size:
                {
                    byte b = buffer[read++];
                    int digit = HexValue(b);
                    if (b == (byte)'\n')
                    {
                        _state = _size == 0 ? State.Done : State.Data;
                        _extension = false;
                    }
                    else if (b == (byte)';')
                    {
                        _extension = true;
                    }
                    else if (digit >= 0 && !_extension)
                    {
                        _size = _size * 16 + digit;
                        if (_size > int.MaxValue)
                            throw new InvalidDataException("chunk size out of range");
                    }
                    else if (b != (byte)'\r' && !_extension && b != (byte)' ')
                    {
                        throw new InvalidDataException($"bad chunk size byte 0x{b:x2}");
                    }
                    break;
                }
                case State.Data:
                {
                    int n = (int)Math.Min(_size, buffer.Length - read);
                    buffer.Slice(read, n).CopyTo(buffer[write..]);
                    read += n;
                    write += n;
                    _size -= n;
                    if (_size == 0)
                        _state = State.DataEnd;
                    break;
                }
                case State.DataEnd:
                    if (buffer[read++] == (byte)'\n')
                        _state = State.Size;
                    break;
                default:
                    return write; // after the last chunk: trailers, ignored
            }
        }
        return write;
    }

    private static int HexValue(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
