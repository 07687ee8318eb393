using System.Buffers;
using System.Text;
using CsCheck;
using Presence.Core.Groups;
using Presence.Query.Internal.Http;

namespace Presence.Unit.Tests.Query;

/// <summary>The parts of the group routes that need no store: names, stored members, bodies (docs/HTTP-API.md, "Groups").</summary>
public sealed class GroupPartsTests
{
    [Theory]
    [InlineData("a")]
    [InlineData("room-1")]
    [InlineData("site:berlin.floor_2")]
    [InlineData("ABC-xyz-0.9:_")]
    [InlineData("...")]
    [InlineData(".a")]
    public void IsValidName_TheContractsCharacters_Accepted(string name) => Assert.True(GroupKeys.IsValidName(name));

    [Theory]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("x{y}")]
    [InlineData("café")]
    [InlineData("a\u0000")]
    [InlineData("tab\t")]
    [InlineData(".")]
    [InlineData("..")]
    public void IsValidName_Others_Refused(string name) => Assert.False(GroupKeys.IsValidName(name));

    [Fact]
    public void IsValidName_128CharactersAtMost()
    {
        Assert.True(GroupKeys.IsValidName(new string('n', 128)));
        Assert.False(GroupKeys.IsValidName(new string('n', 129)));
    }

    [Fact]
    public void KeyOf_TheNameIsTheHashTag() => Assert.Equal("presence:group:{room-1}", new GroupKeys("presence:").KeyOf("room-1"));

    [Fact]
    public void Member_EightBytes_ByteOrderIsIdOrder()
    {
        Gen.Select(Gen.ULong, Gen.ULong, (a, b) => (a, b)).Sample(t =>
        {
            var (a, b) = t;
            var x = GroupKeys.Member(a);
            var y = GroupKeys.Member(b);
            Assert.Equal(8, x.Length);
            Assert.Equal(Math.Sign(a.CompareTo(b)), Math.Sign(x.AsSpan().SequenceCompareTo(y)));
            Assert.Equal(a != 0, GroupKeys.TryReadMember(x, out ulong back));
            Assert.Equal(a, back);
        });
    }

    [Fact]
    public void TryReadMember_NotEightBytes_Refused()
    {
        Assert.False(GroupKeys.TryReadMember("1234567"u8, out _));
        Assert.False(GroupKeys.TryReadMember("123456789"u8, out _));
        Assert.False(GroupKeys.TryReadMember(new byte[8], out _)); // id 0 is no id
    }

    [Fact]
    public void Distinct_SortsAndKeepsEachOnce()
    {
        ulong[] ids = [5, 3, 5, 1, 3, 3, ulong.MaxValue];
        int count = GroupEndpoints.Distinct(ids);
        Assert.Equal([1UL, 3, 5, ulong.MaxValue], ids[..count]);
        Assert.Equal(0, GroupEndpoints.Distinct([]));
    }

    [Fact]
    public void ParseMember_OptionalAndLeftOut_Empty_RequiredAndLeftOut_Malformed()
    {
        var buffer = new ulong[4];
        var body = Body("""{"add":[1,"2"]}""");

        var add = IdParser.ParseMember(body, buffer, "add"u8, optional: true);
        Assert.Equal((IdListStatus.Ok, 2), (add.Status, add.Count));
        Assert.Equal([1UL, 2], buffer[..2]);
        Assert.Equal(IdListStatus.Empty, IdParser.ParseMember(body, buffer, "remove"u8, optional: true).Status);
        var required = IdParser.ParseMember(body, buffer, "remove"u8, optional: false);
        Assert.Equal(IdListStatus.Malformed, required.Status);
        Assert.Equal("the body has no \"remove\" member", required.Detail);
        Assert.Equal(IdListStatus.TooMany, IdParser.ParseMember(Body("""{"add":[1,2,3,4,5]}"""), buffer, "add"u8, optional: true).Status);
        Assert.Equal("\"add\" must be an array", IdParser.ParseMember(Body("""{"add":1}"""), buffer, "add"u8, optional: true).Detail);
    }

    [Fact]
    public void ParseNames_InRequestOrder_RepeatsKept()
    {
        var list = GroupEndpoints.ParseNames(Body("""{"other":{"x":1},"names":["b","a","b"]}"""), 3);
        Assert.Null(list.Problem);
        Assert.Equal(["b", "a", "b"], list.Names);
    }

    [Theory]
    [InlineData("""{"names":[]}""", "no-groups", null)]
    [InlineData("""{"names":["a","b","c","d"]}""", "too-many-groups", null)]
    [InlineData("""{"names":["a","b c"]}""", "bad-group-name", 1)]
    [InlineData("""{"names":["a",7]}""", "bad-group-name", 1)]
    [InlineData("""{"names":[null]}""", "bad-group-name", 0)]
    [InlineData("""{"names":[["a"]]}""", "bad-group-name", 0)]
    [InlineData("""{"names":"a"}""", "malformed-json", null)]
    [InlineData("""{"ids":[1]}""", "malformed-json", null)]
    [InlineData("""{"names":["a"],"names":["b"]}""", "malformed-json", null)]
    [InlineData("""{"names":["a"]""", "malformed-json", null)]
    [InlineData("""["a"]""", "malformed-json", null)]
    public void ParseNames_Bad_TheContractsProblem(string json, string type, int? index)
    {
        var list = GroupEndpoints.ParseNames(Body(json), 3);
        Assert.Null(list.Names);
        Assert.Equal("urn:presence:problem:" + type, list.Problem?.Type);
        Assert.Equal(index, list.BadIndex);
        Assert.False(string.IsNullOrEmpty(list.Detail));
    }

    private static ReadOnlySequence<byte> Body(string json) => new(Encoding.UTF8.GetBytes(json));
}
