using System.Globalization;
using System.Text;

namespace Presence.Bench.Events;

/// <summary>
/// Which ids each subscriber watches: subscriber <c>s</c> takes the <c>watch</c> consecutive user
/// indexes from <c>s × watch</c>, wrapping round the users (so more subscribers than users ÷ watch
/// share ids). With 1M users, 10,000 subscribers of 100 ids watch every user once, and a 1% churn
/// (every 100th id) puts one churning user in each subscriber's block.
/// </summary>
internal sealed class WatchLayout(int users, ulong firstId, int watch, int subscribers)
{
    public int Users { get; } = users;
    public int Watch { get; } = watch;
    public int Subscribers { get; } = subscribers;

    /// <summary>Distinct ids watched by at least one subscriber.</summary>
    public long DistinctIds => Math.Min(Users, (long)Subscribers * Watch);

    public ulong IdAt(int subscriber, int k) => firstId + (ulong)(((long)subscriber * Watch + k) % Users);

    /// <summary>The position of <paramref name="userId"/> in the subscriber's ids, or −1 when it does not watch it.</summary>
    public int PositionOf(int subscriber, ulong userId)
    {
        if (userId < firstId || userId - firstId >= (ulong)Users)
            return -1;
        long index = (long)(userId - firstId);
        long k = (index - (long)subscriber * Watch % Users + Users) % Users;
        return k < Watch ? (int)k : -1;
    }

    /// <summary>Every subscriber watching <paramref name="userId"/>.</summary>
    public IEnumerable<int> SubscribersOf(ulong userId)
    {
        if (userId < firstId || userId - firstId >= (ulong)Users)
            yield break;
        long index = (long)(userId - firstId);
        // Unwrapped, the subscriber's block is [s·watch, s·watch + watch): the index and each of its
        // copies one round of users further on fall in exactly one block each.
        for (long v = index; v / Watch < Subscribers; v += Users)
            yield return (int)(v / Watch);
    }

    /// <summary>The request line's path and query: <c>/v1/presence/events?ids=…</c>.</summary>
    public string PathOf(int subscriber)
    {
        var path = new StringBuilder("/v1/presence/events?ids=", 24 + 21 * Watch);
        for (int k = 0; k < Watch; k++)
        {
            if (k > 0)
                path.Append(',');
            path.Append(IdAt(subscriber, k).ToString(CultureInfo.InvariantCulture));
        }
        return path.ToString();
    }
}
