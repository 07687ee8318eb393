using System.Globalization;

namespace Presence.Core.Events;

/// <summary>
/// One call of <see cref="EventLogScripts.Count"/>: no ARGV; the answer is <c>{epoch or '', last seq or
/// '', users online, newest at}</c>, decoded here. The answer is the store's strings, so Core needs
/// no store client.
/// </summary>
public static class EventLogCountCall
{
    /// <summary>KEYS of the call, in the scripts' order: seq, log, epoch.</summary>
    public static string[] Keys(EventLogKeys keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        return [keys.Seq, keys.Log, keys.Epoch];
    }

    public static EventLogCount Decode(string?[] reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        long? seq = string.IsNullOrEmpty(reply[1]) ? null : long.Parse(reply[1]!, NumberStyles.None, CultureInfo.InvariantCulture);
        return new EventLogCount(
            string.IsNullOrEmpty(reply[0]) ? null : reply[0],
            seq,
            long.Parse(reply[2]!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
            long.Parse(reply[3]!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture));
    }
}
