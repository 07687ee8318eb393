using System.Text;
using CsCheck;
using Presence.Core.Events;

namespace Presence.Unit.Tests.Events;

public sealed class EventLogLineTests
{
    [Theory]
    [InlineData("n 42 1750000000000", 1L, TransitionKind.Online, 42UL, 1750000000000L)]
    [InlineData("t 7 5", 9L, TransitionKind.Timeout, 7UL, 5L)]
    [InlineData("s 9007199254740993 1750000000001", 123456789L, TransitionKind.Signout, 9007199254740993UL, 1750000000001L)] // 2^53 + 1
    [InlineData("n 18446744073709551615 0", long.MaxValue, TransitionKind.Online, ulong.MaxValue, 0L)]
    public void TryParse_Line_NumberedByItsPlace(string text, long seq, TransitionKind kind, ulong user, long atMs)
    {
        var expected = new EventLogLine(seq, kind, user, atMs);
        Assert.True(EventLogLine.TryParse(text, seq, out var line));
        Assert.Equal(expected, line);
        Assert.True(EventLogLine.TryParse(Encoding.ASCII.GetBytes(text), seq, out line));
        Assert.Equal(expected, line);
        Assert.True(EventLogLine.TryParse(text, seq + 1, out line)); // the place alone numbers it
        Assert.Equal(seq + 1, line.Seq);
    }

    [Theory]
    [InlineData("1 n 42 1750000000000", 1L, TransitionKind.Online, 42UL, 1750000000000L)]
    [InlineData("9 t 7 5", 9L, TransitionKind.Timeout, 7UL, 5L)]
    [InlineData("123456789 s 9007199254740993 1750000000001", 123456789L, TransitionKind.Signout, 9007199254740993UL, 1750000000001L)]
    [InlineData("9223372036854775807 n 18446744073709551615 0", long.MaxValue, TransitionKind.Online, ulong.MaxValue, 0L)]
    public void TryParse_NumberedLine_TakenOnlyAtItsNumber(string text, long seq, TransitionKind kind, ulong user, long atMs)
    {
        var expected = new EventLogLine(seq, kind, user, atMs);
        Assert.True(EventLogLine.TryParse(text, seq, out var line));
        Assert.Equal(expected, line);
        Assert.True(EventLogLine.TryParse(Encoding.ASCII.GetBytes(text), seq, out line));
        Assert.Equal(expected, line);
        Assert.Equal(text, expected.ToString());
        Assert.False(EventLogLine.TryParse(text, seq - 1, out line), $"a numbered line elsewhere than its number: {line}");
        Assert.Equal(default, line);
    }

    [Fact]
    public void BothForms_ThenTryParse_RoundTrip() =>
        Gen.Select(Gen.Long[1, long.MaxValue], Gen.Byte[0, 2], Gen.ULong[1, ulong.MaxValue], Gen.Long[0, long.MaxValue],
            (seq, kind, user, at) => new EventLogLine(seq, (TransitionKind)kind, user, at))
        .Sample(line =>
        {
            Assert.True(EventLogLine.TryParse(line.ToString(), line.Seq, out var parsed));
            Assert.Equal(line, parsed);
            string placed = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{EventLogLine.KindCode(line.Kind)} {line.UserId} {line.AtMs}");
            Assert.True(EventLogLine.TryParse(placed, line.Seq, out parsed));
            Assert.Equal(line, parsed);
        }, iter: 5000);

    [Theory]
    [InlineData("")]
    [InlineData("1")]
    [InlineData("1 ")]
    [InlineData("1 n")]
    [InlineData("1 n ")]
    [InlineData("1 n 42")]
    [InlineData("1 n 42 ")]
    [InlineData("1 n 42 5 ")]
    [InlineData("1 n 42 5\n")]
    [InlineData("1 n 42 5 6")]
    [InlineData(" 1 n 42 5")]
    [InlineData("1  n 42 5")]
    [InlineData("1\tn 42 5")]
    [InlineData("1 x 42 5")]
    [InlineData("1 N 42 5")]
    [InlineData("1 nn 42 5")]
    [InlineData("1 n 0 5")] // user id 0 is never valid
    [InlineData("1 n 18446744073709551616 5")] // past 2^64 - 1
    [InlineData("9223372036854775808 n 42 5")] // past long.MaxValue
    [InlineData("1 n 42 9223372036854775808")]
    [InlineData("a n 42 5")]
    [InlineData("1 n 4.2 5")]
    [InlineData("1 n 42 5e3")]
    [InlineData("1 n 42 5.0")]
    [InlineData("-1 n 42 5")]
    [InlineData("+1 n 42 5")]
    [InlineData("1 n +42 5")]
    [InlineData("1 n -42 5")]
    [InlineData("1 n 42 -5")]
    [InlineData("1 n 42 +5")]
    [InlineData("1 n 42 ５")]
    [InlineData("n")]
    [InlineData("n ")]
    [InlineData("n 42")]
    [InlineData("n 42 ")]
    [InlineData("n 42 5 ")]
    [InlineData("n 42 5 6")]
    [InlineData(" n 42 5")]
    [InlineData("n  42 5")]
    [InlineData("x 42 5")]
    [InlineData("N 42 5")]
    [InlineData("nn 42 5")]
    [InlineData("n 0 5")]
    [InlineData("n -42 5")]
    [InlineData("n 42 -5")]
    [InlineData("n 42 5.0")]
    public void TryParse_NotAScriptLine_False(string text)
    {
        Assert.False(EventLogLine.TryParse(text, 1, out var line), $"parsed as {line}");
        Assert.Equal(default, line);
        Assert.False(EventLogLine.TryParse(Encoding.UTF8.GetBytes(text), 1, out _));
    }

    [Theory]
    [InlineData(TransitionKind.Online, 'n')]
    [InlineData(TransitionKind.Timeout, 't')]
    [InlineData(TransitionKind.Signout, 's')]
    public void KindCode_TryParseKind_RoundTrip(TransitionKind kind, char code)
    {
        Assert.Equal(code, EventLogLine.KindCode(kind));
        Assert.True(EventLogLine.TryParseKind((byte)code, out var parsed));
        Assert.Equal(kind, parsed);
        Assert.Equal(kind == TransitionKind.Online, new EventLogLine(1, kind, 1, 1).IsOnline);
    }
}
