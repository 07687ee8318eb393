using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace Presence.Core.Events;

/// <summary>
/// One line of the events log, stored as <c>"&lt;kind&gt; &lt;user id&gt; &lt;at ms&gt;"</c>, kind <c>n</c> (online),
/// <c>t</c> (offline, timeout) or <c>s</c> (offline, sign-out), and numbered (<see cref="Seq"/>) by its place in
/// the log: the store keeps the last line's number, so a line need not carry its own (docs/EVENTS.md). Ingesters
/// before 2026-12-07, and any started with <c>--events-numbered-lines</c>, store <c>"&lt;seq&gt; &lt;kind&gt; &lt;user id&gt; &lt;at ms&gt;"</c>
/// (<see cref="ToString"/>'s form). Numbers in decimal; the user id stays a string inside the store's scripts
/// (Lua numbers are doubles, ids are 64-bit).
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

    /// <summary>The line with its number first, <c>"&lt;seq&gt; &lt;kind&gt; &lt;user id&gt; &lt;at ms&gt;"</c>: how a numbered log stores it.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Seq} {KindCode(Kind)} {UserId} {AtMs}");

    /// <summary>
    /// Parses the line the log holds at <paramref name="seq"/>: <c>"&lt;kind&gt; &lt;user id&gt; &lt;at ms&gt;"</c>, or the numbered
    /// form, whose number must then be <paramref name="seq"/>. False for anything else (a numbered line elsewhere
    /// than its number says is not taken for the line at this place).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> line, long seq, out EventLogLine entry)
    {
        entry = default;
        if (StartsWithDigit(line))
        {
            if (!Utf8Parser.TryParse(line, out long number, out int length) || length == line.Length || line[length] != (byte)' ' || number != seq)
                return false;
            line = line[(length + 1)..];
        }
        if (line.Length < 2 || !TryParseKind(line[0], out var kind) || line[1] != (byte)' ')
            return false;
        line = line[2..];
        if (!StartsWithDigit(line) || !Utf8Parser.TryParse(line, out ulong user, out int used) || used == line.Length || line[used] != (byte)' ' || user == 0)
            return false;
        line = line[(used + 1)..];
        if (!StartsWithDigit(line) || !Utf8Parser.TryParse(line, out long at, out used) || used != line.Length)
            return false;
        entry = new EventLogLine(seq, kind, user, at);
        return true;
    }

    /// <inheritdoc cref="TryParse(ReadOnlySpan{byte}, long, out EventLogLine)"/>
    public static bool TryParse(string line, long seq, out EventLogLine entry) => TryParse(Encoding.ASCII.GetBytes(line), seq, out entry);

    /// <summary>The script writes unsigned decimals; Utf8Parser alone would also take a sign ("-1" is the query node's resync marker's number).</summary>
    private static bool StartsWithDigit(ReadOnlySpan<byte> text) => !text.IsEmpty && char.IsAsciiDigit((char)text[0]);
}
