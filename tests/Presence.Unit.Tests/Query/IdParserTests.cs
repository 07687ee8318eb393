using System.Buffers;
using System.Text;
using CsCheck;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Presence.Query.Internal.Http;

namespace Presence.Unit.Tests.Query;

public sealed class IdParserTests
{
    [Theory]
    [InlineData("1", 1UL)]
    [InlineData("42", 42UL)]
    [InlineData("007", 7UL)]
    [InlineData("9007199254740993", 9007199254740993UL)]
    [InlineData("18446744073709551615", ulong.MaxValue)]
    public void TryParse_Decimal_Exact(string text, ulong expected)
    {
        Assert.True(IdParser.TryParse(text, out ulong id));
        Assert.Equal(expected, id);
        Assert.True(IdParser.TryParse(Encoding.UTF8.GetBytes(text), out id));
        Assert.Equal(expected, id);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData(" 1")]
    [InlineData("1 ")]
    [InlineData("1.0")]
    [InlineData("1e3")]
    [InlineData("0x10")]
    [InlineData("18446744073709551616")]
    [InlineData("١")] // an Arabic-Indic digit: only ASCII digits are ids
    public void TryParse_NotAnId_False(string text)
    {
        Assert.False(IdParser.TryParse(text, out _));
        Assert.False(IdParser.TryParse(Encoding.UTF8.GetBytes(text), out _));
    }

    [Fact]
    public void ParseBody_NumbersAboveTwoPow53_Exact()
    {
        var ids = new ulong[10];
        var list = IdParser.ParseBody(Body("""{"ids":[9007199254740993,18446744073709551615,"9007199254740995"]}"""), ids);

        Assert.Equal(IdListStatus.Ok, list.Status);
        Assert.Equal([9007199254740993UL, ulong.MaxValue, 9007199254740995UL], ids[..list.Count]);
    }

    [Fact]
    public void ParseBody_SplitAcrossSegments_SameAsWhole()
    {
        var json = Encoding.UTF8.GetBytes("""{"pad":"xxxx","ids":[123456789,"987654321",5]}""");
        for (int cut = 1; cut < json.Length; cut++)
        {
            var ids = new ulong[10];
            var list = IdParser.ParseBody(Segmented(json, cut), ids);

            Assert.Equal(IdListStatus.Ok, list.Status);
            Assert.Equal([123456789UL, 987654321UL, 5UL], ids[..list.Count]);
        }
    }

    [Fact]
    public void ParseBody_OneOverLimit_TooMany()
    {
        Assert.Equal(IdListStatus.TooMany, IdParser.ParseBody(Body("""{"ids":[1,2,3,4]}"""), new ulong[3]).Status);
        Assert.Equal(IdListStatus.Ok, IdParser.ParseBody(Body("""{"ids":[1,2,3]}"""), new ulong[3]).Status);
    }

    [Fact]
    public void ParseList_CommaSeparated_InOrderWithRepeats()
    {
        var ids = new ulong[10];
        var list = IdParser.ParseList(new StringValues(["3,1,3", "2"]), ids);

        Assert.Equal(IdListStatus.Ok, list.Status);
        Assert.Equal([3UL, 1UL, 3UL, 2UL], ids[..list.Count]);
    }

    [Fact]
    public void ParseList_TrailingComma_BadEmptyId()
    {
        var list = IdParser.ParseList(new StringValues("1,2,"), new ulong[10]);

        Assert.Equal(IdListStatus.BadId, list.Status);
        Assert.Equal("", list.BadId);
        Assert.Equal(2, list.BadIndex);
    }

    [Fact]
    public void ParseList_LongBadId_EchoedShortened()
    {
        var list = IdParser.ParseList(new StringValues(new string('9', 500)), new ulong[10]);

        Assert.Equal(IdListStatus.BadId, list.Status);
        Assert.True(list.BadId!.Length <= 65);
    }

    [Theory]
    [InlineData("?ids=3,1,3&ids=2", new ulong[] { 3, 1, 3, 2 })]
    [InlineData("?x=1&IDS=5&ids&ids=&Ids=6", new ulong[] { 5, 6 })]
    [InlineData("ids=7", new ulong[] { 7 })]
    public void TryParseRawQuery_PlainQuery_ReadsEveryIdsParameterInOrder(string query, ulong[] expected)
    {
        var ids = new ulong[10];

        Assert.True(IdParser.TryParseRawQuery(query, "ids", ids, out var list));

        Assert.Equal(IdListStatus.Ok, list.Status);
        Assert.Equal(expected, ids[..list.Count]);
    }

    [Theory]
    [InlineData("?ids=1%2C2")]
    [InlineData("?ids=1&x=a+b")]
    public void TryParseRawQuery_SomethingToDecode_LeftToTheDecodedCollection(string query) =>
        Assert.False(IdParser.TryParseRawQuery(query, "ids", new ulong[10], out _));

    // The fast path must answer exactly what the decoded query collection answers (ASP.NET Core's
    // own parser), for any query without escapes: same ids, same problem, same bad item and index.
    [Fact]
    public void TryParseRawQuery_AnyPlainQuery_SameAsDecodedCollection()
    {
        var token = Gen.OneOf<string>("ids", "IDS", "x", "=", "&", ",", "?", "1", "42", "0", "a", "");
        token.Array[0, 12].Select(parts => string.Concat(parts)).Sample(query =>
        {
            var fast = new ulong[5];
            var slow = new ulong[5];

            Assert.True(IdParser.TryParseRawQuery(query, "ids", fast, out var fastList));
            var slowList = IdParser.ParseList(QueryHelpers.ParseQuery(query).GetValueOrDefault("ids"), slow);

            Assert.Equal(slowList, fastList);
            Assert.Equal(slow[..slowList.Count], fast[..fastList.Count]);
        });
    }

    private static ReadOnlySequence<byte> Body(string json) => new(Encoding.UTF8.GetBytes(json));

    private static ReadOnlySequence<byte> Segmented(byte[] data, int cut) =>
        TestSequences.Of(data.AsMemory(0, cut), data.AsMemory(cut));
}
