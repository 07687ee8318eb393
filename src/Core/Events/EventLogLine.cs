using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Presence.Core.Events;

/// <summary>
/// One line of the events log: <c>"&lt;seq&gt; &lt;kind&gt; &lt;user id&gt; &lt;at ms&gt;"</c>, kind <c>n</c> (online),
/// <c>t</c> (offline, timeout) or <c>s</c> (offline, sign-out). Numbers in decimal; the user id
/// stays a string inside the store's scripts (Lua numbers are doubles, ids are 64-bit).
/// </summary>
public readonly record struct EventLogLine(long Seq, TransitionKind Kind, ulong UserId, long AtMs)
{
    public bool IsOnline => Kind == TransitionKind.Online;

    public static char KindCode(TransitionKind kind) => kind switch
    {
        TransitionKind.Online => 'n',
        TransitionKind.Timeout => 't',
        _ => 's',
    };

    public static bool TryParseKind(byte code, out TransitionKind kind)
    {
        (bool ok, kind) = code switch
        {
            (byte)'n' => (true, TransitionKind.Online),
            (byte)'t' => (true, TransitionKind.Timeout),
            (byte)'s' => (true, TransitionKind.Signout),
            _ => (false, default),
        };
        return ok;
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Seq} {KindCode(Kind)} {UserId} {AtMs}");

    /// <summary>Parses one log line as the append script wrote it; false for anything else.</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out EventLogLine entry)
    {
        entry = default;
        if (!Utf8Parser.TryParse(line, out long seq, out int used) || used == line.Length || line[used] != (byte)' ')
            return false;
        line = line[(used + 1)..];
        if (line.Length < 2 || !TryParseKind(line[0], out var kind) || line[1] != (byte)' ')
            return false;
        line = line[2..];
        if (!Utf8Parser.TryParse(line, out ulong user, out used) || used == line.Length || line[used] != (byte)' ' || user == 0)
            return false;
        line = line[(used + 1)..];
        if (!Utf8Parser.TryParse(line, out long at, out used) || used != line.Length)
            return false;
        entry = new EventLogLine(seq, kind, user, at);
        return true;
    }

    public static bool TryParse(string line, out EventLogLine entry) => TryParse(Encoding.ASCII.GetBytes(line), out entry);
}
