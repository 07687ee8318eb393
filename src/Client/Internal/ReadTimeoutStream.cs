namespace Presence.Client.Internal;

/// <summary>
/// An events response's body as <see cref="EventStreamReader"/> reads it: a read that gets nothing
/// for <c>limit</c> (the service sends a keepalive comment well within it), or that breaks, ends the
/// stream instead of waiting on or throwing, so the parser stops cleanly and the client reconnects
/// with <c>Last-Event-ID</c>. Only the time spent inside a read counts: the app may take as long
/// as it likes over an event.
/// </summary>
internal sealed class ReadTimeoutStream(Stream inner, TimeSpan limit) : Stream
{
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
        using var silent = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        silent.CancelAfter(limit);
        try
        {
            return await inner.ReadAsync(buffer, silent.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return 0;
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return 0;
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    // The parser reads asynchronously; a blocking read could not be bounded the same way.
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
