namespace Presence.Bench.Events;

/// <summary>
/// The body of a subscriber's HTTP/1.1 response, as the stream System.Net.ServerSentEvents' parser
/// reads: first the bytes that came with the headers, then the connection's, chunked coding undone
/// in place in the parser's own buffer (<see cref="ChunkedDecoder"/>), so it holds no buffer of its
/// own. It notes when bytes last arrived (a delivery's receive time) and counts comment lines (the
/// node's keepalives), which the parser skips as the standard says: a line whose first byte is ':'.
/// </summary>
internal sealed class ResponseBodyStream(Stream connection, byte[] head, bool chunked, double headReceivedMs) : Stream
{
    private readonly ChunkedDecoder? _chunked = chunked ? new ChunkedDecoder() : null;
    private int _headRead;
    private bool _lineStart = true;

    /// <summary>When the bytes last handed on arrived (Unix milliseconds, <see cref="EventSubscriber.NowMs"/>).</summary>
    public double ReceivedMs { get; private set; } = headReceivedMs;

    /// <summary>Comment lines read so far.</summary>
    public int Comments { get; private set; }

    /// <summary>The response is over: the connection closed or, chunked, the last chunk came.</summary>
    public bool Ended { get; private set; }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!Ended && !buffer.IsEmpty)
        {
            int n;
            if (_headRead < head.Length)
            {
                n = Math.Min(buffer.Length, head.Length - _headRead);
                head.AsSpan(_headRead, n).CopyTo(buffer.Span);
                _headRead += n;
            }
            else
            {
                n = await connection.ReadAsync(buffer, cancellationToken);
                if (n == 0)
                {
                    Ended = true;
                    break;
                }
                ReceivedMs = EventSubscriber.NowMs();
            }
            if (_chunked is not null)
            {
                n = _chunked.DecodeInPlace(buffer.Span[..n]);
                Ended = _chunked.Ended;
            }
            if (n > 0)
            {
                CountComments(buffer.Span[..n]);
                return n;
            }
        }
        return 0;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // The parser is enumerated asynchronously: 10,000 streams cannot each hold a thread.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    private void CountComments(ReadOnlySpan<byte> bytes)
    {
        while (!bytes.IsEmpty)
        {
            if (_lineStart && bytes[0] == (byte)':')
                Comments++;
            int end = bytes.IndexOfAny((byte)'\n', (byte)'\r');
            if (end < 0)
            {
                _lineStart = false;
                return;
            }
            _lineStart = true;
            bytes = bytes[(end + 1)..];
        }
    }
}
