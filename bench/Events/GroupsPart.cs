using System.Globalization;
using Presence.LoadGen.Internal;

namespace Presence.Bench.Events;

/// <summary>
/// One part of a groups run: streams of one shape over the blocks of one layout. The parts come in
/// pairs over the same ids (<see cref="Pair"/>), run side by side: the group streams and the id
/// streams they are compared with.
/// </summary>
internal sealed record GroupsPart(string Pair, WatchLayout Layout, StreamShape Shape)
{
    /// <summary>The one large group (or its ids), and the many small ones.</summary>
    public const string Big = "big", Small = "small";

    public bool IsGroup => Shape.IsGroup;

    public string Name => string.Create(CultureInfo.InvariantCulture,
        $"{Layout.Subscribers:N0} {(IsGroup ? "group stream" : "id stream")}{(Layout.Subscribers == 1 ? "" : "s")} of {Layout.Watch:N0}{(Shape.Post ? " (POST)" : "")}");

    /// <summary>The two pairs of a run: big then small, each pair's group or ids part first (started, probed) as <paramref name="groupsFirst"/> says.</summary>
    public static GroupsPart[] Plan(BenchOptions options, bool groupsFirst)
    {
        // Both over the same members, in blocks of a small group's size spread over the users (WatchLayout.Spread):
        // the large group is the small groups' members (when it is as large as they are together).
        int members = Math.Max(options.BigGroup, options.Groups * options.GroupSize);
        bool shift = ShiftOddBlocks(options, members);
        var big = WatchLayout.Spread(options.Users, members, options.GroupSize, options.BigGroup, 1, shift);
        var small = WatchLayout.Spread(options.Users, members, options.GroupSize, options.GroupSize, options.Groups, shift);
        GroupsPart[] bigPair = [new(Big, big, BigGroups), new(Big, big, StreamShape.IdsPost)];
        GroupsPart[] smallPair = [new(Small, small, SmallGroups), new(Small, small, options.GroupSize <= 1_000 ? StreamShape.IdsGet : StreamShape.IdsPost)];
        if (!groupsFirst)
        {
            Array.Reverse(bigPair);
            Array.Reverse(smallPair);
        }
        return [.. bigPair, .. smallPair];
    }

    /// <summary>
    /// Whether the members' blocks should be laid out with odd blocks shifted: presence-loadgen makes every
    /// other churning user (by ordinal) sign out, and blocks an even number of churning users apart would
    /// hold only one kind (1M users, blocks of 100 every 1,000 ids: ordinals 0, 10, 20, …, none signing out).
    /// Takes the layout whose churning members sign out in the share closest to all churning users'.
    /// </summary>
    public static bool ShiftOddBlocks(BenchOptions options, int members)
    {
        var plan = Churn(options);
        double want = plan.Churning == 0 ? 0 : (double)plan.SigningOut / plan.Churning;
        double Share(bool shift)
        {
            var layout = WatchLayout.Spread(options.Users, members, options.GroupSize, members, 1, shift);
            int churning = 0, signing = 0;
            for (int k = 0; k < members; k++)
            {
                if (plan.IsChurning((int)(layout.IdAt(0, k) - 1), out int ordinal))
                {
                    churning++;
                    signing += plan.SignsOut(ordinal) ? 1 : 0;
                }
            }
            return churning == 0 ? 0 : (double)signing / churning;
        }
        return Math.Abs(Share(true) - want) < Math.Abs(Share(false) - want);
    }

    /// <summary>Who churns (presence-loadgen's plan for the run's options).</summary>
    public static ChurnPlan Churn(BenchOptions options) =>
        new(options.Users, options.Churn, BenchOptions.ChurnActive, BenchOptions.ChurnSilent, BenchOptions.ChurnSignOut);

    /// <summary>The large group: <c>bench-big-0</c>.</summary>
    public static StreamShape BigGroups { get; } = StreamShape.Groups("bench-big-");

    /// <summary>The small groups: <c>bench-g-0</c>, <c>bench-g-1</c>, …</summary>
    public static StreamShape SmallGroups { get; } = StreamShape.Groups("bench-g-");
}
