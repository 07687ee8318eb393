using Presence.Client.Internal;

namespace Presence.Unit.Tests.Client;

/// <summary>
/// The group routes as the client builds them (HTTP-API.md, "Groups"): the names it takes
/// (<c>[A-Za-z0-9._:-]{1,128}</c>, refused before any request otherwise), the paths, and one group's
/// presence query (<c>online=only</c>, <c>limit</c>, <c>cursor</c>, each only when given).
/// </summary>
public sealed class GroupRoutesTests
{
    public static TheoryData<string> ValidNames => new()
    {
        "a",
        "room-1",
        "user:42",
        "Team_A.b-c:9",
        "...",
        ".a",
        new string('x', 128),
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._:-",
    };

    public static TheoryData<string> InvalidNames => new()
    {
        "",
        new string('x', 129),
        "a b",
        "a/b",
        "a%2Fb",
        "a?b",
        "a#b",
        "é",
        "a\n",
        "ａ", // a fullwidth letter: a letter, not an ASCII one
        "a+b",
    };

    [Theory]
    [MemberData(nameof(ValidNames))]
    public void CheckName_TheContractsNames_Pass(string name)
    {
        GroupRoutes.CheckName(name, "name");
    }

    [Theory]
    [MemberData(nameof(InvalidNames))]
    public void CheckName_AnythingElse_ThrowsNamingTheParameter(string name)
    {
        var e = Assert.Throws<ArgumentException>(() => GroupRoutes.CheckName(name, "names"));

        Assert.Equal("names", e.ParamName);
        Assert.Contains("[A-Za-z0-9._:-], 1 to 128 characters", e.Message);
    }

    [Fact]
    public void CheckName_Null_ThrowsArgumentNull()
    {
        Assert.Throws<ArgumentNullException>(() => GroupRoutes.CheckName(null!, "name"));
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    public void CheckName_DotSegments_NoGroupNames(string name)
    {
        // No URL path can hold them (RFC 3986, 5.2.4): the service refuses them as names everywhere.
        var e = Assert.Throws<ArgumentException>(() => GroupRoutes.CheckName(name, "name"));

        Assert.Equal("name", e.ParamName);
        Assert.Contains("not . or ..", e.Message);
    }

    [Theory]
    [InlineData("room-1", false, null, null, "v1/groups/room-1/presence")]
    [InlineData("room-1", true, null, null, "v1/groups/room-1/presence?online=only")]
    [InlineData("room-1", false, 50, null, "v1/groups/room-1/presence?limit=50")]
    [InlineData("room-1", false, null, "18446744073709551615", "v1/groups/room-1/presence?cursor=18446744073709551615")]
    [InlineData("a:b", true, 1, "42", "v1/groups/a:b/presence?online=only&limit=1&cursor=42")]
    [InlineData("x", false, 7, "a b&c=d/é", "v1/groups/x/presence?limit=7&cursor=a%20b%26c%3Dd%2F%C3%A9")]
    public void Presence_OnlyTheParametersGiven_CursorEscaped(string name, bool onlineOnly, int? limit, string? cursor, string path)
    {
        Assert.Equal(path, GroupRoutes.Presence(name, onlineOnly, limit, cursor));
    }

    [Theory]
    [InlineData("http://h:8080", "room-1", "http://h:8080/v1/groups/room-1")]
    [InlineData("http://h:8080/api/", "a:b", "http://h:8080/api/v1/groups/a:b")]
    [InlineData("https://h/api/", "...", "https://h/api/v1/groups/...")]
    [InlineData("http://h/", "user.42", "http://h/v1/groups/user.42")]
    public void Group_ResolvedOnTheBaseAddress_KeepsTheNameAsOneSegment(string baseAddress, string name, string url)
    {
        Assert.Equal(url, new Uri(new Uri(baseAddress), GroupRoutes.Group(name)).AbsoluteUri);
        Assert.Equal(url + "/members", new Uri(new Uri(baseAddress), GroupRoutes.Members(name)).AbsoluteUri);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void CheckLimit_BelowOne_ThrowsOutOfRange(int limit)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => GroupRoutes.CheckLimit(limit, "limit"));

        Assert.Equal("limit", e.ParamName);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(1)]
    [InlineData(int.MaxValue)]
    public void CheckLimit_NullOrPositive_Passes(int? limit)
    {
        GroupRoutes.CheckLimit(limit, "limit"); // the most is the service's --max-batch: it answers bad-parameter
    }

    [Fact]
    public void CheckCursor_Empty_Throws_NullOrAPageNext_Passes()
    {
        Assert.Equal("cursor", Assert.Throws<ArgumentException>(() => GroupRoutes.CheckCursor("", "cursor")).ParamName);
        GroupRoutes.CheckCursor(null, "cursor");
        GroupRoutes.CheckCursor("42", "cursor");
    }
}
