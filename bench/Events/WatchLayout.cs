using System.Globalization;
using System.Text;

namespace Presence.Bench.Events;

/// <summary>
/// Which ids each subscriber watches: subscriber <c>s</c> takes the <c>watch</c> consecutive user
/// indexes from <c>s × watch</c>, wrapping round the users (so more subscribers than users ÷ watch
/// share ids). With 1M users, 10,000 subscribers of 100 ids watch every user once, and a 1% churn
/// (every 100th id) puts one churning user in each subscriber's block.
/// <para>
/// <see cref="Spread"/> lays the watched ids out in blocks of consecutive users spaced evenly over
/// the users instead (the groups benchmark: 100,000 members of 1M users, in 1,000 blocks of 100, one
/// a thousand users): the churning users among them are the same share as among all, and their
/// phases (presence-loadgen spreads them by id) cover the whole churn period, so the watched users'
/// transitions come at a steady rate rather than in one burst a period.
/// </para>
/// </summary>
internal sealed class WatchLayout
{
    private readonly ulong _firstId;
    private readonly int _block; // 0: consecutive, wrapping; else watched position v is user index (v / block) × gap + v % block
    private readonly int _gap;
    private readonly bool _shiftOdd; // odd blocks one block further on

    public WatchLayout(int users, ulong firstId, int watch, int subscribers)
        : this(users, firstId, watch, subscribers, 0, 0, false)
    {
    }

    private WatchLayout(int users, ulong firstId, int watch, int subscribers, int block, int gap, bool shiftOdd)
    {
        _shiftOdd = shiftOdd;
        Users = users;
        _firstId = firstId;
        Watch = watch;
        Subscribers = subscribers;
        _block = block;
        _gap = gap;
    }

    /// <summary>
    /// <paramref name="subscribers"/> × <paramref name="watch"/> positions (at most <paramref name="members"/>,
    /// no wrapping) over <paramref name="members"/> ids of the users from 1: blocks of <paramref name="block"/>
    /// consecutive ids, spaced evenly; with <paramref name="shiftOdd"/> every odd block one block further on
    /// (room allowing), which changes which of the churning users fall in the blocks. Layouts with the same
    /// users, members, block and shift give a position the same id.
    /// </summary>
    public static WatchLayout Spread(int users, int members, int block, int watch, int subscribers, bool shiftOdd = false)
    {
        int blocks = (members + block - 1) / block;
        if (block < 1 || (long)blocks * block > users || (long)watch * subscribers > members)
            throw new ArgumentException($"{subscribers} × {watch} positions over {members} members in blocks of {block} do not fit {users} users");
        int gap = users / blocks;
        return new WatchLayout(users, 1, watch, subscribers, block, gap, shiftOdd && gap >= 2 * block);
    }

    public int Users { get; }
    public int Watch { get; }
    public int Subscribers { get; }

    /// <summary>Distinct ids watched by at least one subscriber.</summary>
    public long DistinctIds => _block > 0 ? (long)Subscribers * Watch : Math.Min(Users, (long)Subscribers * Watch);

    public ulong IdAt(int subscriber, int k)
    {
        long v = (long)subscriber * Watch + k;
        if (_block == 0)
            return _firstId + (ulong)(v % Users);
        long q = v / _block;
        return _firstId + (ulong)(q * _gap + Shift(q) + v % _block);
    }

    /// <summary>The position of <paramref name="userId"/> in the subscriber's ids, or −1 when it does not watch it.</summary>
    public int PositionOf(int subscriber, ulong userId)
    {
        if (userId < _firstId || userId - _firstId >= (ulong)Users)
            return -1;
        long index = (long)(userId - _firstId);
        if (_block > 0)
        {
            long v = Position(index);
            long k = v - (long)subscriber * Watch;
            return v >= 0 && k >= 0 && k < Watch ? (int)k : -1;
        }
        long wrapped = (index - (long)subscriber * Watch % Users + Users) % Users;
        return wrapped < Watch ? (int)wrapped : -1;
    }

    /// <summary>Every subscriber watching <paramref name="userId"/>.</summary>
    public IEnumerable<int> SubscribersOf(ulong userId)
    {
        if (userId < _firstId || userId - _firstId >= (ulong)Users)
            yield break;
        long index = (long)(userId - _firstId);
        if (_block > 0)
        {
            long v = Position(index);
            if (v >= 0 && v / Watch < Subscribers)
                yield return (int)(v / Watch);
            yield break;
        }
        // Unwrapped, the subscriber's block is [s·watch, s·watch + watch): the index and each of its
        // copies one round of users further on fall in exactly one block each.
        for (long v = index; v / Watch < Subscribers; v += Users)
            yield return (int)(v / Watch);
    }

    /// <summary>A spread layout's position of user index <paramref name="index"/>, or −1 between blocks.</summary>
    private long Position(long index)
    {
        long q = index / _gap;
        long offset = index % _gap - Shift(q);
        return offset >= 0 && offset < _block ? q * _block + offset : -1;
    }

    private long Shift(long block) => _shiftOdd && block % 2 == 1 ? _block : 0;

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
