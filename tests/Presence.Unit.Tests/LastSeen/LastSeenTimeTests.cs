using Presence.Core.LastSeen;

namespace Presence.Unit.Tests.LastSeen;

public sealed class LastSeenTimeTests
{
    private const long Now = 1_764_270_000_000;

    [Theory]
    [InlineData(1_764_270_000_999, 1_764_270_000)]
    [InlineData(1_764_270_000_000, 1_764_270_000)]
    [InlineData(999, 0)]
    [InlineData(-5, 0)]
    public void ToStoredSeconds_RoundsDown(long ms, long seconds) => Assert.Equal(seconds, LastSeenTime.ToStoredSeconds(ms));

    [Fact]
    public void ToAnswerMs_AStoredValue_IsItsWholeSecondInMs() =>
        Assert.Equal(1_764_269_000_000, LastSeenTime.ToAnswerMs("1764269000", Now, 30));

    [Fact]
    public void ToAnswerMs_JustInsideTheRetention_IsAnswered_JustOutside_IsNull()
    {
        long cutoffSeconds = (Now - (30 * 86_400_000L)) / 1000;
        Assert.NotNull(LastSeenTime.ToAnswerMs(LastSeenTime.Format(cutoffSeconds), Now, 30));
        Assert.Null(LastSeenTime.ToAnswerMs(LastSeenTime.Format(cutoffSeconds - 1), Now, 30));
    }

    [Theory]
    [InlineData("")]
    [InlineData("x")]
    [InlineData("-1")]
    [InlineData("1.5")]
    public void ToAnswerMs_NotAStoredValue_IsNull(string stored) => Assert.Null(LastSeenTime.ToAnswerMs(stored, Now, 30));

    [Fact]
    public void ToAnswerMs_RetentionZero_IsAlwaysNull() => Assert.Null(LastSeenTime.ToAnswerMs("1764269999", Now, 0));
}
