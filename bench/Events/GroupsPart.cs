using System.Globalization;

namespace Presence.Bench.Events;

/// <summary>
/// One part of a groups run: streams of one shape over the blocks of one layout. The parts come in
/// pairs over the same ids (<see cref="Pair"/>): the group streams and the id streams they are
/// compared with.
/// </summary>
internal sealed record GroupsPart(string Pair, WatchLayout Layout, StreamShape Shape)
{
    /// <summary>The one large group (or its ids), and the many small ones.</summary>
    public const string Big = "big", Small = "small";

    public bool IsGroup => Shape.IsGroup;

    public string Name => string.Create(CultureInfo.InvariantCulture,
        $"{Layout.Subscribers:N0} {(IsGroup ? "group stream" : "id stream")}{(Layout.Subscribers == 1 ? "" : "s")} of {Layout.Watch:N0}{(Shape.Post ? " (POST)" : "")}");

    /// <summary>The four parts of a run: big then small, group or ids first as <paramref name="groupsFirst"/> says.</summary>
    public static GroupsPart[] Plan(BenchOptions options, bool groupsFirst)
    {
        // Both over the same members, in blocks of a small group's size spread over the users (WatchLayout.Spread):
        // the large group is the small groups' members (when it is as large as they are together).
        int members = Math.Max(options.BigGroup, options.Groups * options.GroupSize);
        var big = WatchLayout.Spread(options.Users, members, options.GroupSize, options.BigGroup, 1);
        var small = WatchLayout.Spread(options.Users, members, options.GroupSize, options.GroupSize, options.Groups);
        GroupsPart[] bigPair = [new(Big, big, BigGroups), new(Big, big, StreamShape.IdsPost)];
        GroupsPart[] smallPair = [new(Small, small, SmallGroups), new(Small, small, options.GroupSize <= 1_000 ? StreamShape.IdsGet : StreamShape.IdsPost)];
        if (!groupsFirst)
        {
            Array.Reverse(bigPair);
            Array.Reverse(smallPair);
        }
        return [.. bigPair, .. smallPair];
    }

    /// <summary>The large group: <c>bench-big-0</c>.</summary>
    public static StreamShape BigGroups { get; } = StreamShape.Groups("bench-big-");

    /// <summary>The small groups: <c>bench-g-0</c>, <c>bench-g-1</c>, …</summary>
    public static StreamShape SmallGroups { get; } = StreamShape.Groups("bench-g-");
}
