using Microsoft.Extensions.Primitives;
using Presence.Query.Internal.Events;

namespace Presence.Unit.Tests.Query;

public sealed class DebouncedEventIdTests
{
    [Fact]
    public void ToString_ThenTryParse_RoundTrips()
    {
        var id = new DebouncedEventId("3f2a9c01", 42, 1_796_522_763_123, "9e8d7c6b", 15);
        Assert.Equal("3f2a9c01-42-1796522763123-9e8d7c6b-15", id.ToString());
        Assert.True(DebouncedEventId.TryParse(id.ToString(), out var parsed));
        Assert.Equal(id, parsed);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("3f2a9c01-42")] // a plain stream's id
    [InlineData("3f2a9c01-42-1-node")]
    [InlineData("3f2a9c01-42-1-node-5-6")]
    [InlineData("-42-1-node-5")]
    [InlineData("e-42-1--5")]
    [InlineData("e-x-1-node-5")]
    [InlineData("e-42-+1-node-5")]
    [InlineData("e-42-1-node-99999999999")]
    public void TryParse_AnythingElse_False(string? text) => Assert.False(DebouncedEventId.TryParse(text, out _));

    [Fact]
    public void APlainParser_TakesADebouncedIdForAnotherEpoch() // so a plain stream given one takes a snapshot
    {
        Assert.True(LastEventId.TryParse("3f2a9c01-42-1796522763123-9e8d7c6b-15", out var plain));
        Assert.NotEqual("3f2a9c01", plain.Epoch);
    }

    [Theory]
    [InlineData(new string[0], true, 0)]
    [InlineData(new[] { "0" }, true, 0)]
    [InlineData(new[] { "5" }, true, 5)]
    [InlineData(new[] { "60" }, true, 60)]
    [InlineData(new[] { "05" }, true, 5)]
    [InlineData(new[] { "61" }, false, 0)]
    [InlineData(new[] { "-1" }, false, 0)]
    [InlineData(new[] { "+1" }, false, 0)]
    [InlineData(new[] { "1.5" }, false, 0)]
    [InlineData(new[] { "abc" }, false, 0)]
    [InlineData(new[] { "" }, false, 0)]
    [InlineData(new[] { " 5" }, false, 0)]
    [InlineData(new[] { "100" }, false, 0)]
    [InlineData(new[] { "5", "5" }, false, 0)]
    public void TryParseDebounce_ZeroToSixtyOnce(string[] values, bool ok, int seconds)
    {
        Assert.Equal(ok, EventStreamEndpoint.TryParseDebounce(new StringValues(values), out int parsed));
        if (ok)
            Assert.Equal(seconds, parsed);
    }
}
