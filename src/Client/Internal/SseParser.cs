using System.Globalization;
using System.Text;

namespace Presence.Client.Internal;

/// <summary>
/// Reads Server-Sent Events line by line as the WHATWG HTML standard says (section 9.2.6): fields
/// <c>event</c>, <c>data</c> (several lines joined with \n), <c>id</c> (kept across events,
/// ignored when it holds NUL), <c>retry</c>; lines starting with ':' are comments (keepalives).
/// A pure function of its input lines, tested apart from I/O.
/// </summary>
internal sealed class SseParser(string? lastEventId)
{
    private readonly StringBuilder _data = new();
    private string _type = "";
    private bool _hasData;

    public string? LastEventId { get; private set; } = lastEventId;

    /// <summary>The reconnection time the server asked for with <c>retry:</c>, if it did.</summary>
    public TimeSpan? Retry { get; private set; }

    /// <summary>Takes one line without its end; returns an event when a blank line ends one.</summary>
    public SseEvent? Feed(string line)
    {
        if (line.Length == 0)
        {
            if (!_hasData)
            {
                _type = "";
                return null;
            }
            var done = new SseEvent(_type.Length == 0 ? "message" : _type, _data.ToString(), LastEventId);
            _data.Clear();
            _hasData = false;
            _type = "";
            return done;
        }
        if (line[0] == ':')
            return null;
        int colon = line.IndexOf(':');
        string name = colon < 0 ? line : line[..colon];
        string value = colon < 0 ? "" : line[(colon + 1)..];
        if (value.StartsWith(' '))
            value = value[1..];
        switch (name)
        {
            case "event":
                _type = value;
                break;
            case "data":
                if (_hasData)
                    _data.Append('\n');
                _data.Append(value);
                _hasData = true;
                break;
            case "id":
                if (!value.Contains('\0'))
                    LastEventId = value;
                break;
            case "retry":
                if (value.Length > 0 && value.All(char.IsAsciiDigit) && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long ms))
                    Retry = TimeSpan.FromMilliseconds(ms);
                break;
        }
        return null;
    }
}
