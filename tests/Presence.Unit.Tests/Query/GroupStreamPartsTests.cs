using Presence.Core.Events;
using Presence.Query.Internal.Events;

namespace Presence.Unit.Tests.Query;

/// <summary>
/// The pure parts of the group streams: the counts a stream keeps (one group, a member in several groups, the groups
/// a change turns on or off), the state a resume rebuilds at an event's place, the event id's fingerprint, and the
/// size of a membership change.
/// </summary>
public sealed class GroupStreamPartsTests
{
    private static GroupCounts Counts(params (string Name, ulong[] Members)[] groups) =>
        new([.. groups.Select(g => g.Name)], [.. groups.Select(g => g.Members)], [.. groups.Select(_ => 1L)]);

    [Fact]
    public void GroupCounts_MemberOfSeveralGroups_CountsInEach_TurnsOnlyAtFirstAndLast()
    {
        var counts = Counts(("alice", [1, 2]), ("room", [2, 3]));
        Assert.Equal([1UL, 2, 3], counts.Ids);
        var turned = new List<int>();

        Assert.True(counts.Apply(2, online: true, turned));
        Assert.Equal([0, 1], turned); // 2 is in both: both turn on
        turned.Clear();
        Assert.True(counts.Apply(1, online: true, turned));
        Assert.Empty(turned); // alice was on already
        Assert.Equal((2, 1, 2), (counts.OnlineMembers(0), counts.OnlineMembers(1), counts.GroupsOnline));

        Assert.False(counts.Apply(1, online: true, turned)); // no change, nothing counted twice
        Assert.False(counts.Apply(9, online: true, turned)); // no member
        Assert.True(counts.Apply(2, online: false, turned));
        Assert.Equal([1], turned); // room's last online member; alice still has 1
        Assert.Equal((1, 0, 1), (counts.OnlineMembers(0), counts.OnlineMembers(1), counts.GroupsOnline));
    }

    [Fact]
    public void GroupCounts_SetAll_CountsFromTheStates()
    {
        var counts = Counts(("a", [5, 6, 7]), ("b", [7]));
        counts.SetAll([true, false, true]);
        Assert.Equal((2, 1), (counts.OnlineMembers(0), counts.OnlineMembers(1)));
        counts.SetAll([false, false, false]);
        Assert.Equal((0, 0), (counts.OnlineMembers(0), counts.OnlineMembers(1)));
    }

    [Fact]
    public void Fingerprint_SameGroupsAndVersions_InAnyOrder_Equal_AnyOtherDiffers()
    {
        string fp = GroupCounts.FingerprintOf(["alice", "bob"], [3, 7]);
        Assert.Equal(fp, GroupCounts.FingerprintOf(["bob", "alice"], [7, 3]));
        Assert.Matches("^[0-9a-f]{16}$", fp);
        Assert.NotEqual(fp, GroupCounts.FingerprintOf(["alice", "bob"], [3, 8]));
        Assert.NotEqual(fp, GroupCounts.FingerprintOf(["alice", "carol"], [3, 7]));
        Assert.NotEqual(GroupCounts.FingerprintOf(["a", "b1"], [1, 1]), GroupCounts.FingerprintOf(["ab", "1"], [1, 1]));
    }

    [Theory]
    [InlineData("6bef9d52-12.0123456789abcdef", "0123456789abcdef", "6bef9d52-12")]
    [InlineData("6bef9d52-12-1796546852490-e76cf0b0-5.0123456789abcdef", "0123456789abcdef", "6bef9d52-12-1796546852490-e76cf0b0-5")]
    [InlineData("6bef9d52-12.fedcba9876543210", "0123456789abcdef", null)] // another membership
    [InlineData("6bef9d52-12", "0123456789abcdef", null)] // an id stream's id
    [InlineData(".0123456789abcdef", "0123456789abcdef", null)]
    [InlineData(null, "0123456789abcdef", null)]
    public void TrySplit_OnlyTheSameFingerprint_GivesTheIdStreamsPart(string? id, string fingerprint, string? expected) =>
        Assert.Equal(expected, GroupStreamEndpoint.TrySplit(id, fingerprint));

    [Fact]
    public void StateBefore_FirstLineAfterThePlaceDecides_LinesPastTheSnapshotIgnored()
    {
        ulong[] ids = [1, 2, 3, 4];
        // The log now (at line 10): 1 online, 2 offline, 3 online, 4 offline.
        var now = new EventLogSnapshot("e", 10, [100, null, 100, null]);
        List<StreamItem> lines =
        [
            Line(5, 1, online: true),   // 1 came online after the place: offline there
            Line(6, 2, online: true),   // 2 came online, then went: offline there (its first line decides)
            Line(7, 2, online: false),
            Line(11, 4, online: true),  // past the snapshot's line: the snapshot does not have it, so it is no undo
        ];
        Assert.Equal([false, false, true, false], StreamStart.StateBefore(ids, now, lines, 0));
        // From a later index (a debounced stream's place inside the window): line 5 is before the place.
        Assert.Equal([true, false, true, false], StreamStart.StateBefore(ids, now, lines, 1));
    }

    [Theory]
    [InlineData(new ulong[] { 1, 2, 3 }, new ulong[] { 1, 2, 3 }, 0)]
    [InlineData(new ulong[] { 1, 2, 3 }, new ulong[] { 2, 4 }, 3)]
    [InlineData(new ulong[] { }, new ulong[] { 5, 6 }, 2)]
    [InlineData(new ulong[] { 5, 6 }, new ulong[] { }, 2)]
    public void Changed_CountsIdsInOneListOnly(ulong[] before, ulong[] after, int expected) =>
        Assert.Equal(expected, GroupStreamBody.Changed(before, after));

    private static StreamItem Line(long seq, ulong user, bool online) =>
        StreamItem.Of(new EventLogLine(seq, online ? TransitionKind.Online : TransitionKind.Signout, user, 1000 + seq), 0);
}
