using CsCheck;
using Presence.Query.Internal.Http;
using Presence.Query.Internal.Store;

namespace Presence.Unit.Tests.Query;

public sealed class PresenceStoreTests
{
    [Fact]
    public void Dedupe_RepeatedIds_EachMapsToItsOneUniqueSlot()
    {
        ulong[] ids = [7, 5, 3, 7, 7, 5];
        var unique = new ulong[ids.Length];
        var index = new int[ids.Length];

        int count = PresenceStore.Dedupe(ids, unique, index);

        Assert.Equal([3UL, 5UL, 7UL], unique[..count]);
        for (int i = 0; i < ids.Length; i++)
            Assert.Equal(ids[i], unique[index[i]]);
    }

    [Fact]
    public void Dedupe_AnyIds_UniqueSortedAndEveryIdFound()
    {
        Gen.ULong[1, 40].Array[1, 300].Sample(ids =>
        {
            var unique = new ulong[ids.Length];
            var index = new int[ids.Length];

            int count = PresenceStore.Dedupe(ids, unique, index);

            Assert.Equal(ids.Distinct().Order().ToArray(), unique[..count]);
            for (int i = 0; i < ids.Length; i++)
                Assert.Equal(ids[i], unique[index[i]]);
        });
    }

    [Theory]
    [InlineData("application/json", true)]
    [InlineData("Application/JSON", true)]
    [InlineData("application/json; charset=utf-8", true)]
    [InlineData("application/json; charset=UTF-8", true)]
    [InlineData("application/problem+json", true)]
    [InlineData("application/json; charset=latin1", false)]
    [InlineData("text/json", false)]
    [InlineData("text/plain", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsJson_ContentType(string? contentType, bool expected) =>
        Assert.Equal(expected, PresenceEndpoints.IsJson(contentType));
}
