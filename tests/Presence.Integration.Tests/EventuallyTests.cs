using Presence.Testing;

namespace Presence.Integration.Tests;

/// <summary>The waiting helper every test relies on: it returns once the value is there, and says what it last saw when it is not.</summary>
[Collection(RedisCollection.Name)]
public sealed class EventuallyTests
{
    [Fact]
    public async Task Equal_ValueArrivesLate_Returns()
    {
        int reads = 0;

        await Eventually.Equal(3, () => ++reads, "the third read");

        Assert.Equal(3, reads);
    }

    [Fact]
    public async Task Equal_ValueNeverArrives_FailsNamingWhatAndTheLastValueSeen()
    {
        var failure = await Assert.ThrowsAsync<TimeoutException>(() =>
            Eventually.Equal(5.0, () => 4.5, "presence_store_writes_total", TimeSpan.FromMilliseconds(100)));

        Assert.Contains("presence_store_writes_total to be 5", failure.Message);
        Assert.Contains("last value seen: 4.5", failure.Message);
    }

    [Fact]
    public async Task Satisfy_Async_ReturnsTheValueThatSatisfied()
    {
        long value = 0;

        long seen = await Eventually.Satisfy(() => Task.FromResult(++value), v => v >= 4, "four");

        Assert.Equal(4, seen);
    }
}
