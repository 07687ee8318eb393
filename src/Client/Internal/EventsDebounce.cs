using System.Globalization;

namespace Presence.Client.Internal;

/// <summary>
/// The events routes' <c>debounce</c> (HTTP-API.md, "Debounce (flap-free streams)"): whole seconds
/// in 0-60, sent as <c>?debounce=S</c>, and no parameter at all for 0 (the plain stream).
/// </summary>
internal static class EventsDebounce
{
    /// <summary>The service's most: 60 s; more is 400 <see cref="PresenceProblemTypes.BadDebounce"/>.</summary>
    public static readonly TimeSpan Max = TimeSpan.FromSeconds(60);

    /// <summary>
    /// S for <paramref name="debounce"/> (null is 0). Anything the service would answer 400
    /// <see cref="PresenceProblemTypes.BadDebounce"/> for (negative, over 60 s, a fraction of a
    /// second) throws <see cref="ArgumentOutOfRangeException"/> here instead, before any request.
    /// </summary>
    public static int Seconds(TimeSpan? debounce, string paramName)
    {
        if (debounce is not { } value)
            return 0;
        if (value < TimeSpan.Zero || value > Max || value.Ticks % TimeSpan.TicksPerSecond != 0)
            throw new ArgumentOutOfRangeException(paramName, value, "The debounce is whole seconds in 0-60 (HTTP-API.md, \"Debounce\").");
        return (int)(value.Ticks / TimeSpan.TicksPerSecond);
    }

    /// <summary>The events path's query: <c>?debounce=S</c>, or nothing for 0.</summary>
    public static string Query(int seconds) =>
        seconds == 0 ? "" : "?debounce=" + seconds.ToString(CultureInfo.InvariantCulture);
}
