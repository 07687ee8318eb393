using System.Globalization;

namespace Presence.Core.Events;

/// <summary>
/// One call of <see cref="EventLogScripts.Read"/>: its argument layout and its result, in one place.
/// ARGV: candidate epoch, after seq, most lines; the answer is <c>{epoch, last seq, first seq still
/// held, lines…}</c>. Arguments and answer are the store's strings, so Core needs no store client.
/// </summary>
public static class EventLogReadCall
{
    private const int Head = 3;

    /// <summary>ARGV for the lines after <paramref name="afterSeq"/>, at most <paramref name="max"/>.</summary>
    public static string[] Arguments(long afterSeq, int max) =>
    [
        EventLogKeys.NewEpoch(),
        afterSeq.ToString(CultureInfo.InvariantCulture),
        max.ToString(CultureInfo.InvariantCulture),
    ];

    /// <summary>ARGV that asks only for the log's head: a position after any end, so the answer holds no lines.</summary>
    public static string[] EndArguments() => Arguments(long.MaxValue, 1);

    /// <summary>
    /// The answer to <see cref="Arguments"/> with the same <paramref name="afterSeq"/>. Lines are
    /// numbered by their place after it; one that does not parse as that line is skipped (and
    /// still counted in <see cref="EventLogRead.ReadTo"/>, so it is not read again forever).
    /// </summary>
    public static EventLogRead Decode(long afterSeq, string?[] reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        int lines = Math.Max(0, reply.Length - Head);
        var entries = new List<EventLogLine>(lines);
        for (int i = 0; i < lines; i++)
        {
            long seq = afterSeq + i + 1;
            if (reply[Head + i] is { } text && EventLogLine.TryParse(text, seq, out var entry))
                entries.Add(entry);
        }
        return new EventLogRead(reply[0]!, ParseSeq(reply[1]), ParseSeq(reply[2]), entries, afterSeq + lines);
    }

    // The first seq held is last − length + 1: negative never, but 1 past an empty log's end.
    private static long ParseSeq(string? text) => long.Parse(text!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
}
