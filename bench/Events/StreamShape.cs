using System.Globalization;
using System.Net;
using System.Text;

namespace Presence.Bench.Events;

/// <summary>
/// How a subscriber asks for its stream: the ids of its block in the query string
/// (<c>GET /v1/presence/events?ids=…</c>), the same ids in a body (<c>POST /v1/presence/events</c>,
/// past the 1,000 a query string takes), or the group holding them
/// (<c>GET /v1/groups/{prefix}{subscriber}/events</c>, written beforehand with the block's ids).
/// </summary>
internal sealed class StreamShape
{
    private readonly string? _groupPrefix;

    private StreamShape(string name, bool post, string? groupPrefix)
    {
        Name = name;
        Post = post;
        _groupPrefix = groupPrefix;
    }

    /// <summary>The events benchmark's streams: ids in the query string.</summary>
    public static StreamShape IdsGet { get; } = new("id streams", post: false, groupPrefix: null);

    /// <summary>Ids in a POST body.</summary>
    public static StreamShape IdsPost { get; } = new("id streams (POST)", post: true, groupPrefix: null);

    /// <summary>One group a subscriber, named <paramref name="prefix"/> and the subscriber's index.</summary>
    public static StreamShape Groups(string prefix) => new("group streams", post: false, groupPrefix: prefix);

    public string Name { get; }

    public bool Post { get; }

    /// <summary>The stream is a group's: its snapshot lists online members only, its ids carry the membership version.</summary>
    public bool IsGroup => _groupPrefix is not null;

    /// <summary>The group subscriber <paramref name="subscriber"/> watches.</summary>
    public string GroupName(int subscriber) =>
        _groupPrefix is null ? throw new InvalidOperationException("not a group stream")
            : _groupPrefix + subscriber.ToString(CultureInfo.InvariantCulture);

    /// <summary>The whole HTTP/1.1 request for subscriber <paramref name="subscriber"/>'s stream, resuming after <paramref name="lastEventId"/> when given.</summary>
    public byte[] Request(WatchLayout layout, int subscriber, EndPoint server, string? lastEventId)
    {
        string target = IsGroup ? $"/v1/groups/{GroupName(subscriber)}/events" : Post ? "/v1/presence/events" : layout.PathOf(subscriber);
        var head = new StringBuilder(target.Length + 200);
        head.Append(Post ? "POST " : "GET ").Append(target).Append(" HTTP/1.1\r\nHost: ").Append(server).Append("\r\nAccept: text/event-stream\r\n");
        if (lastEventId is not null)
            head.Append("Last-Event-ID: ").Append(lastEventId).Append("\r\n");
        byte[] body = Post ? Body(layout, subscriber) : [];
        if (Post)
            head.Append("Content-Type: application/json\r\nContent-Length: ").Append(body.Length.ToString(CultureInfo.InvariantCulture)).Append("\r\n");
        head.Append("\r\n");
        return [.. Encoding.ASCII.GetBytes(head.ToString()), .. body];
    }

    /// <summary><c>{"ids":[…]}</c>: the subscriber's block, as a membership or a POST stream takes it.</summary>
    public static byte[] Body(WatchLayout layout, int subscriber)
    {
        var json = new StringBuilder(10 + 21 * layout.Watch).Append("{\"ids\":[");
        for (int k = 0; k < layout.Watch; k++)
        {
            if (k > 0)
                json.Append(',');
            json.Append(layout.IdAt(subscriber, k).ToString(CultureInfo.InvariantCulture));
        }
        return Encoding.ASCII.GetBytes(json.Append("]}").ToString());
    }
}
