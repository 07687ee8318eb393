namespace Presence.Bench.Faults.Run;

/// <summary>The run's one clock (Unix ms, shared by every process of the run), and bounded waits.</summary>
internal static class Clock
{
    public static long NowMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    /// <summary>Polls <paramref name="condition"/> every <paramref name="pollMs"/> until it holds; throws naming <paramref name="what"/> after <paramref name="limit"/>.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan limit, string what, CancellationToken cancel, int pollMs = 100)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            if (await condition())
                return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"{what} not within {limit.TotalSeconds:0} s");
            await Task.Delay(pollMs, cancel);
        }
    }
}
