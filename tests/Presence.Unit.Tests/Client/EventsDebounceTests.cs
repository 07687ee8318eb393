using Presence.Client.Internal;

namespace Presence.Unit.Tests.Client;

/// <summary>
/// The events routes' debounce as the client sends it (HTTP-API.md, "Debounce"): whole seconds in
/// 0-60 become <c>?debounce=S</c> (nothing for 0); what the service would refuse with 400
/// bad-debounce is refused here first.
/// </summary>
public sealed class EventsDebounceTests
{
    public static TheoryData<TimeSpan?, int> Valid => new()
    {
        { null, 0 },
        { TimeSpan.Zero, 0 },
        { TimeSpan.FromSeconds(1), 1 },
        { TimeSpan.FromSeconds(10), 10 },
        { TimeSpan.FromMinutes(1), 60 },
    };

    public static TheoryData<TimeSpan> Invalid => new()
    {
        TimeSpan.FromSeconds(61),
        TimeSpan.FromSeconds(60) + TimeSpan.FromTicks(1),
        TimeSpan.FromSeconds(-1),
        TimeSpan.FromTicks(-1),
        TimeSpan.FromMilliseconds(1500),
        TimeSpan.FromMilliseconds(1),
        TimeSpan.MaxValue,
        TimeSpan.MinValue,
    };

    [Theory]
    [MemberData(nameof(Valid))]
    public void Seconds_WholeSecondsIn0To60_AreThoseSeconds(TimeSpan? debounce, int seconds)
    {
        Assert.Equal(seconds, EventsDebounce.Seconds(debounce, "debounce"));
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Seconds_NegativeOver60OrAFraction_ThrowsOutOfRangeNamingTheParameter(TimeSpan debounce)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => EventsDebounce.Seconds(debounce, "debounce"));

        Assert.Equal("debounce", e.ParamName);
    }

    [Theory]
    [InlineData(0, "")]
    [InlineData(1, "?debounce=1")]
    [InlineData(60, "?debounce=60")]
    public void Query_ZeroSendsNoParameter_ElseDebounceEqualsSeconds(int seconds, string query)
    {
        Assert.Equal(query, EventsDebounce.Query(seconds));
    }
}
