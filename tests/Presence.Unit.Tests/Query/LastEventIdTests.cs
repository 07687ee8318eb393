using Presence.Query.Internal.Events;


namespace Presence.Unit.Tests.Query;

public sealed class LastEventIdTests
{
    [Theory]
    [InlineData("3f2a9c01-42", "3f2a9c01", 42L)]
    [InlineData("e-0", "e", 0L)]
    [InlineData("a-b-7", "a-b", 7L)] // the last dash separates: an epoch may hold dashes
    [InlineData("3f2a9c01-9223372036854775807", "3f2a9c01", long.MaxValue)]
    public void TryParse_Valid_SplitsAtTheLastDash(string text, string epoch, long seq)
    {
        Assert.True(LastEventId.TryParse(text, out var id));
        Assert.Equal(new LastEventId(epoch, seq), id);
        Assert.Equal(text, id.ToString());
    }

    [Fact]
    public void TryParse_LeadingZeros_SameSequence() // a client may echo what it got with padding: same position
    {
        Assert.True(LastEventId.TryParse("e-007", out var id));
        Assert.Equal(new LastEventId("e", 7), id);
    }

    [Fact]
    public void ToString_ThenTryParse_RoundTrips()
    {
        var random = new Random(1);
        for (int i = 0; i < 1000; i++)
        {
            var id = new LastEventId(Convert.ToHexStringLower(BitConverter.GetBytes(random.Next())), random.NextInt64(0, long.MaxValue));
            Assert.True(LastEventId.TryParse(id.ToString(), out var parsed));
            Assert.Equal(id, parsed);
        }
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("-5")] // no epoch
    [InlineData("abc-")]
    [InlineData("abc-x")]
    [InlineData("abc-+5")]
    [InlineData("abc- 5")]
    [InlineData("abc-5 ")]
    [InlineData("abc-1.0")]
    [InlineData("abc-1e3")]
    [InlineData("abc-5-")]
    [InlineData("abc-9223372036854775808")] // past long.MaxValue
    [InlineData("abc-٥")] // a non-ASCII digit
    public void TryParse_Malformed_False(string? text)
    {
        Assert.False(LastEventId.TryParse(text, out var id));
        Assert.Equal(default, id);
    }

    [Fact]
    public void TryParse_LongerThan64_False()
    {
        string epoch62 = new('a', 62);
        Assert.True(LastEventId.TryParse(epoch62 + "-1", out _)); // 64 characters
        Assert.False(LastEventId.TryParse(epoch62 + "-12", out _));
    }
}
