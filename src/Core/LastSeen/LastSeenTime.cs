using System.Globalization;

namespace Presence.Core.LastSeen;

/// <summary>
/// Last seen as stored (whole Unix seconds, so a listpack keeps it as a 4-byte integer) and as
/// answered (<c>lastSeenMs</c>, rounded down to a multiple of 1000), and the retention rule
/// both programs apply: a value older than <c>--last-seen-days</c> is never answered.
/// </summary>
public static class LastSeenTime
{
    /// <summary>The stored form of a receive time in Unix milliseconds.</summary>
    public static long ToStoredSeconds(long unixMs) => Math.Max(0, unixMs) / 1000;

    public static string Format(long storedSeconds) => storedSeconds.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The answer for a stored value, or null when there is none, it does not parse, or it is
    /// older than <paramref name="retentionDays"/> before <paramref name="nowMs"/> (0 days: never kept).
    /// </summary>
    public static long? ToAnswerMs(ReadOnlySpan<char> stored, long nowMs, int retentionDays)
    {
        if (retentionDays <= 0 || stored.IsEmpty || !long.TryParse(stored, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds))
            return null;
        long ms = seconds * 1000;
        return ms < CutoffMs(nowMs, retentionDays) ? null : ms;
    }

    /// <summary>
    /// How a reader keeps "offline, last seen at <paramref name="lastSeenMs"/>" beside receive times in
    /// one array of longs: −(ms + 2). Every such value is below −1, so it never reads as a receive
    /// time (≥ 0) or as "no key" (−1).
    /// </summary>
    public static long EncodeOffline(long lastSeenMs) => -(lastSeenMs + 2);

    /// <summary>The last seen (Unix ms) of a value from <see cref="EncodeOffline"/>; null for any other value.</summary>
    public static long? DecodeOffline(long value) => value < -1 && value != long.MinValue ? -value - 2 : null;

    /// <summary>The oldest last seen (Unix ms) still answered at <paramref name="nowMs"/>.</summary>
    public static long CutoffMs(long nowMs, int retentionDays) => nowMs - (retentionDays * 86_400_000L);
}
