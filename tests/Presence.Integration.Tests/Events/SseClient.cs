using System.Net;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text;
using System.Threading.Channels;

namespace Presence.Integration.Tests.Events;

/// <summary>
/// A test's event stream: one HTTP request to presence-query's events route, read by
/// System.Net.ServerSentEvents' parser into a queue of <see cref="SseEvent"/>, with the comment
/// lines the parser skips told in order by <see cref="CommentTap"/>, so keepalives are seen.
/// </summary>
internal sealed class SseClient : IAsyncDisposable
{
    private readonly HttpClient _http;
    private readonly HttpResponseMessage _response;
    private readonly Channel<SseEvent> _events = Channel.CreateUnbounded<SseEvent>();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<SseEvent> _all = [];
    private Task? _reader;

    private SseClient(HttpClient http, HttpResponseMessage response, bool read)
    {
        _http = http;
        _response = response;
        if (read)
            StartReading();
    }

    /// <summary>How long opening a stream (the answer's headers) may take before the test fails.</summary>
    public static readonly TimeSpan OpenTimeout = TimeSpan.FromSeconds(30);

    public HttpResponseMessage Response => _response;

    /// <summary>Every event and comment received so far, in order.</summary>
    public IReadOnlyList<SseEvent> All
    {
        get
        {
            lock (_all)
                return _all.ToArray();
        }
    }

    /// <summary>The last event id received (what a reconnecting client sends as Last-Event-ID).</summary>
    public string? LastEventId => All.LastOrDefault(e => e.Id is not null)?.Id;

    /// <summary>
    /// Opens a stream; the response must be 200 text/event-stream (else throws with its body), within
    /// <see cref="OpenTimeout"/>. With <paramref name="read"/> false the body is not read until
    /// <see cref="StartReading"/> (a client too slow to read), and with <paramref name="receiveBuffer"/>
    /// the socket's receive buffer is that small, so the server's writes back up sooner.
    /// </summary>
    public static async Task<SseClient> OpenAsync(Uri baseAddress, string pathAndQuery, string? lastEventId = null, string? postJson = null,
        bool read = true, int? receiveBuffer = null)
    {
        var handler = new SocketsHttpHandler();
        if (receiveBuffer is int bytes)
        {
            handler.ConnectCallback = async (context, cancel) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp)
                {
                    ReceiveBufferSize = bytes, // before connecting: it sets the window the server may fill
                    NoDelay = true,
                };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancel);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        var http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var request = new HttpRequestMessage(postJson is null ? HttpMethod.Get : HttpMethod.Post, pathAndQuery);
        if (postJson is not null)
            request.Content = new StringContent(postJson, Encoding.UTF8, "application/json");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        HttpResponseMessage response;
        using (var deadline = new CancellationTokenSource(OpenTimeout))
        {
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, deadline.Token);
                if (response.StatusCode != HttpStatusCode.OK || response.Content.Headers.ContentType?.MediaType != "text/event-stream")
                {
                    // Not a stream: a bounded body (a problem), read under the same deadline.
                    var body = await response.Content.ReadAsStringAsync(deadline.Token);
                    response.Dispose();
                    throw new InvalidOperationException($"expected an event stream, got {(int)response.StatusCode}: {body}");
                }
            }
            catch (OperationCanceledException) when (deadline.IsCancellationRequested)
            {
                http.Dispose();
                throw new TimeoutException($"no answer to {pathAndQuery} within {OpenTimeout.TotalSeconds:0} s");
            }
            catch
            {
                http.Dispose();
                throw;
            }
        }
        return new SseClient(http, response, read);
    }

    /// <summary>Starts reading the body (once), for a stream opened with <c>read: false</c>.</summary>
    public void StartReading()
    {
        lock (_all)
            _reader ??= Task.Run(ReadAsync);
    }

    private async Task ReadAsync()
    {
        try
        {
            using var body = await _response.Content.ReadAsStreamAsync(_stop.Token);
            var parser = SseParser.Create(new CommentTap(body, text => Add(new SseEvent("comment", null, text))));
            await foreach (var item in parser.EnumerateAsync(_stop.Token))
                Add(new SseEvent(item.EventType, item.EventId, item.Data)); // EventId: the event's own id line, null without one
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    private void Add(SseEvent e)
    {
        lock (_all)
            _all.Add(e);
        _events.Writer.TryWrite(e);
    }

    /// <summary>The next event (comments skipped unless <paramref name="comments"/>); fails naming what was awaited.</summary>
    public async Task<SseEvent> NextAsync(string what, TimeSpan? timeout = null, bool comments = false)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        try
        {
            while (true)
            {
                var e = await _events.Reader.ReadAsync(cts.Token);
                if (comments || e.Type != "comment")
                    return e;
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"no event within {(timeout ?? TimeSpan.FromSeconds(15)).TotalSeconds:0.#} s while waiting for: {what}; received so far: {string.Join(" | ", All.TakeLast(10))}");
        }
        catch (ChannelClosedException)
        {
            throw new InvalidOperationException($"the stream ended while waiting for: {what}; received: {string.Join(" | ", All.TakeLast(10))}");
        }
    }

    /// <summary>Events (not comments) received so far of a type.</summary>
    public SseEvent[] OfType(string type) => All.Where(e => e.Type == type).ToArray();

    /// <summary>Whether the server ended the stream (and the reader saw its end).</summary>
    public bool Ended => _reader is { IsCompleted: true };

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        _http.Dispose();
        try
        {
            if (_reader is not null)
                await _reader;
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }

    /// <summary>
    /// The body as the parser reads it, handed on a line at a time, telling each comment line on its
    /// way (the parser skips comments, as the standard says): so the tests see the service's
    /// keepalives, and in order, since the parser asks for the next line only once it has dispatched
    /// what the lines before completed. The service ends lines with LF.
    /// </summary>
    private sealed class CommentTap(Stream inner, Action<string> onComment) : Stream
    {
        private readonly byte[] _buffer = new byte[16 * 1024];
        private readonly List<byte> _comment = [];
        private int _start;
        private int _end;
        private bool _lineStart = true;
        private bool _inComment;

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
            if (buffer.IsEmpty)
                return 0;
            if (_start == _end)
            {
                _start = 0;
                _end = await inner.ReadAsync(_buffer, cancellationToken);
                if (_end == 0)
                    return 0;
            }
            var pending = _buffer.AsSpan(_start, _end - _start);
            int lf = pending.IndexOf((byte)'\n');
            var line = pending[..Math.Min(lf < 0 ? pending.Length : lf + 1, buffer.Length)];
            if (_lineStart)
                _inComment = line[0] == (byte)':';
            if (_inComment)
                _comment.AddRange(line);
            _lineStart = line[^1] == (byte)'\n';
            if (_inComment && _lineStart)
            {
                onComment(Encoding.UTF8.GetString(_comment.ToArray())[1..].Trim());
                _comment.Clear();
                _inComment = false;
            }
            line.CopyTo(buffer.Span);
            _start += line.Length;
            return line.Length;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
