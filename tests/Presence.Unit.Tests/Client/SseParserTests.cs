using Presence.Client.Internal;

namespace Presence.Unit.Tests.Client;

public sealed class SseParserTests
{
    private static List<SseEvent> Feed(SseParser parser, params string[] lines) =>
        [.. lines.Select(parser.Feed).Where(e => e is not null).Select(e => e!.Value)];

    [Fact]
    public void Feed_FieldsCommentsAndBlankLines_DispatchAsTheStandardSays()
    {
        var parser = new SseParser(null);

        var events = Feed(parser, "data", "", "event: x", "data:a", "data: b", "id: 3", "retry: 250", "", ": keepalive", "", "data: c", "");

        Assert.Equal([new SseEvent("message", "", null), new SseEvent("x", "a\nb", "3"), new SseEvent("message", "c", "3")], events);
        Assert.Equal(TimeSpan.FromMilliseconds(250), parser.Retry);
    }

    [Fact]
    public void Feed_IdWithNul_Ignored_LastIdKept()
    {
        var parser = new SseParser("7");

        var events = Feed(parser, "id: bad\0id", "data: 1", "");

        Assert.Equal("7", Assert.Single(events).LastEventId);
    }

    [Fact]
    public void Feed_EventTypeWithoutData_NotDispatched_TypeReset()
    {
        var parser = new SseParser(null);

        var events = Feed(parser, "event: online", "", "data: {}", "");

        Assert.Equal("message", Assert.Single(events).Type);
    }

    [Fact]
    public void Feed_BadRetry_Ignored()
    {
        var parser = new SseParser(null);

        Feed(parser, "retry: 1s", "retry: -5", "retry:");

        Assert.Null(parser.Retry);
    }
}
