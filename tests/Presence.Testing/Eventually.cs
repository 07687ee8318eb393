using System.Diagnostics;
using System.Globalization;

namespace Presence.Testing;

/// <summary>
/// Polls a condition until a deadline: tests wait for facts, never for a fixed time. A counter,
/// gauge or log line may lag the effect it counts (a key is visible before the flusher has
/// counted its write), so a test asserts one with <see cref="Equal{T}(T, Func{T}, string, TimeSpan?)"/>
/// rather than reading it once; the failure names what was awaited and the last value seen.
/// </summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private static readonly TimeSpan s_pollEvery = TimeSpan.FromMilliseconds(20);

    /// <summary>Returns when <paramref name="condition"/> holds; throws naming <paramref name="what"/> at the deadline.</summary>
    public static Task Until(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        Until(() => Task.FromResult(condition()), what, timeout);

    public static async Task Until(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
                throw new TimeoutException($"Waited {Seconds(limit)} s for: {what}");
            await Task.Delay(s_pollEvery);
        }
    }

    /// <summary>
    /// Returns once <paramref name="actual"/> reads <paramref name="expected"/>; at the deadline throws
    /// naming <paramref name="what"/> and the last value read.
    /// </summary>
    public static Task Equal<T>(T expected, Func<T> actual, string what, TimeSpan? timeout = null) =>
        Equal(expected, () => Task.FromResult(actual()), what, timeout);

    public static async Task Equal<T>(T expected, Func<Task<T>> actual, string what, TimeSpan? timeout = null)
    {
        var comparer = EqualityComparer<T>.Default;
        await Satisfy(actual, value => comparer.Equals(value, expected), $"{what} to be {Show(expected)}", timeout);
    }

    /// <summary>
    /// Reads <paramref name="read"/> until <paramref name="condition"/> holds for the value read and
    /// returns that value; at the deadline throws naming <paramref name="what"/> and the last value read.
    /// </summary>
    public static Task<T> Satisfy<T>(Func<T> read, Func<T, bool> condition, string what, TimeSpan? timeout = null) =>
        Satisfy(() => Task.FromResult(read()), condition, what, timeout);

    public static async Task<T> Satisfy<T>(Func<Task<T>> read, Func<T, bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await read();
            if (condition(value))
                return value;
            if (clock.Elapsed > limit)
                throw new TimeoutException($"Waited {Seconds(limit)} s for {what}; last value seen: {Show(value)}");
            await Task.Delay(s_pollEvery);
        }
    }

    private static string Seconds(TimeSpan limit) => limit.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Show<T>(T value) => value switch
    {
        null => "null",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "null",
    };
}
