using System.IO.Pipelines;
using System.Text;
using Presence.Client.Internal;

namespace Presence.Unit.Tests.Client;

/// <summary>
/// The client's reading of an events body: System.Net.ServerSentEvents parses it; these hold what
/// the client relies on from it (the standard's dispatch rules) and what it adds (the last event id
/// carried across connections, the server's retry, a silent or broken body read as ended).
/// </summary>
public sealed class EventStreamReaderTests
{
    private static async Task<List<SseEvent>> Read(EventStreamReader reader)
    {
        var events = new List<SseEvent>();
        await foreach (var e in reader.ReadAsync(CancellationToken.None))
            events.Add(e);
        return events;
    }

    private static MemoryStream Body(string text) => new(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task ReadAsync_FieldsCommentsAndBlankLines_DispatchAsTheStandardSays()
    {
        var reader = new EventStreamReader(Body("data\n\nevent: x\ndata:a\ndata: b\nid: 3\nretry: 250\n\n: keepalive\n\ndata: c\n\n"), null);

        var events = await Read(reader);

        Assert.Equal([new SseEvent("message", "", null), new SseEvent("x", "a\nb", "3"), new SseEvent("message", "c", "3")], events);
        Assert.Equal(TimeSpan.FromMilliseconds(250), reader.Retry);
        Assert.Equal("3", reader.LastEventId);
    }

    [Fact]
    public async Task ReadAsync_NoIdYet_KeepsTheIdTheConnectionStartedFrom()
    {
        var reader = new EventStreamReader(Body("data: 1\n\nid: 8\ndata: 2\n\n"), "7");

        var events = await Read(reader);

        Assert.Equal(["7", "8"], events.Select(e => e.LastEventId));
    }

    [Fact]
    public async Task ReadAsync_IdWithNul_Ignored_LastIdKept()
    {
        var reader = new EventStreamReader(Body("id: bad\0id\ndata: 1\n\n"), "7");

        var events = await Read(reader);

        Assert.Equal("7", Assert.Single(events).LastEventId);
    }

    [Fact]
    public async Task ReadAsync_EventTypeWithoutData_NotDispatched_TypeKeptByTheParser()
    {
        var reader = new EventStreamReader(Body("event: online\n\ndata: {}\n\n"), null);

        var events = await Read(reader);

        // Not dispatched, as the standard says. The standard also empties the event type there;
        // System.Net.ServerSentEvents (10.0) keeps it for the next event. The service never sends
        // an event type without data (SseWriter), so the client depends on neither; this pins
        // what it does today, so a change in the runtime is seen.
        Assert.Equal("online", Assert.Single(events).Type);
    }

    [Fact]
    public async Task ReadAsync_BadRetry_Ignored()
    {
        var reader = new EventStreamReader(Body("retry: 1s\nretry: -5\nretry:\n"), null);

        await Read(reader);

        Assert.Null(reader.Retry);
    }

    [Fact]
    public async Task ReadTimeoutStream_NothingWithinTheLimit_ReadsAsEnded()
    {
        var pipe = new Pipe();
        var stream = new ReadTimeoutStream(pipe.Reader.AsStream(), TimeSpan.FromMilliseconds(50));

        Assert.Equal(0, await stream.ReadAsync(new byte[16]));
    }

    [Fact]
    public async Task ReadTimeoutStream_BrokenBody_ReadsAsEnded()
    {
        var pipe = new Pipe();
        var stream = new ReadTimeoutStream(pipe.Reader.AsStream(), TimeSpan.FromMinutes(1));
        await pipe.Writer.CompleteAsync(new IOException("connection reset"));

        Assert.Equal(0, await stream.ReadAsync(new byte[16]));
    }

    [Fact]
    public async Task ReadTimeoutStream_CallerCancels_Throws()
    {
        var pipe = new Pipe();
        var stream = new ReadTimeoutStream(pipe.Reader.AsStream(), TimeSpan.FromMinutes(1));
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stream.ReadAsync(new byte[16], cancel.Token).AsTask());
    }

    [Fact]
    public async Task ReadTimeoutStream_BytesWithinTheLimit_PassedOn()
    {
        var pipe = new Pipe();
        var stream = new ReadTimeoutStream(pipe.Reader.AsStream(), TimeSpan.FromMinutes(1));
        await pipe.Writer.WriteAsync(": keepalive\n\n"u8.ToArray());

        var buffer = new byte[64];
        int n = await stream.ReadAsync(buffer);

        Assert.Equal(": keepalive\n\n", Encoding.UTF8.GetString(buffer, 0, n));
    }
}
