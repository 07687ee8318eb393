using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace Presence.Query.Internal.Events;

/// <summary>
/// The state a group stream shows: for each watched group its members, which of them are online, and
/// how many; for the stream, the union of all members (what it registers on the feed), sorted. Events
/// are applied to it in the stream's order; a membership change builds a new one. Pure, not thread-safe.
/// </summary>
internal sealed class GroupCounts
{
    private readonly ulong[][] _members;
    private readonly int[][] _groupsOf; // by index in Ids: the groups holding that member
    private readonly bool[] _online;    // by index in Ids
    private readonly int[] _onlineMembers;

    /// <param name="names">The groups, each once, in the order the stream shows them.</param>
    /// <param name="members">Each group's members, ascending, each once.</param>
    /// <param name="versions">Each group's membership version as read with its members.</param>
    public GroupCounts(string[] names, ulong[][] members, long[] versions)
    {
        Names = names;
        _members = members;
        Versions = versions;
        Fingerprint = FingerprintOf(names, versions);
        int total = 0;
        foreach (var group in members)
            total += group.Length;
        var all = new ulong[total];
        int offset = 0;
        foreach (var group in members)
        {
            group.CopyTo(all, offset);
            offset += group.Length;
        }
        Array.Sort(all);
        int distinct = 0;
        for (int i = 0; i < all.Length; i++)
        {
            if (i == 0 || all[i] != all[distinct - 1])
                all[distinct++] = all[i];
        }
        Ids = distinct == all.Length ? all : all[..distinct];
        _online = new bool[Ids.Length];
        _onlineMembers = new int[names.Length];
        var counts = new int[Ids.Length];
        foreach (var group in members)
        {
            foreach (ulong id in group)
                counts[IndexOf(id)]++;
        }
        _groupsOf = new int[Ids.Length][];
        for (int i = 0; i < Ids.Length; i++)
            _groupsOf[i] = new int[counts[i]];
        Array.Clear(counts);
        for (int g = 0; g < members.Length; g++)
        {
            foreach (ulong id in members[g])
            {
                int i = IndexOf(id);
                _groupsOf[i][counts[i]++] = g;
            }
        }
    }

    public string[] Names { get; }

    public long[] Versions { get; }

    /// <summary>What a group stream's event ids carry after the log position: the names and their membership versions, hashed.</summary>
    public string Fingerprint { get; }

    /// <summary>Every member of every group, ascending, each once.</summary>
    public ulong[] Ids { get; }

    /// <summary>Members of group <paramref name="group"/>, ascending.</summary>
    public ulong[] MembersOf(int group) => _members[group];

    public int OnlineMembers(int group) => _onlineMembers[group];

    /// <summary>Groups with a member online.</summary>
    public int GroupsOnline => _onlineMembers.Count(n => n > 0);

    /// <summary>The index of <paramref name="id"/> in <see cref="Ids"/>, or negative when it is no member.</summary>
    public int IndexOf(ulong id) => Array.BinarySearch(Ids, id);

    public bool IsOnline(int index) => _online[index];

    /// <summary>Sets every member's state (by index in <see cref="Ids"/>) and the counts from them.</summary>
    public void SetAll(ReadOnlySpan<bool> online)
    {
        online.CopyTo(_online);
        Array.Clear(_onlineMembers);
        for (int i = 0; i < _online.Length; i++)
        {
            if (_online[i])
            {
                foreach (int g in _groupsOf[i])
                    _onlineMembers[g]++;
            }
        }
    }

    /// <summary>
    /// Applies a member's online or offline; whether its state changed (an event the log sends alternates,
    /// so it does). <paramref name="turned"/> gets the groups that went from no member online to one, or back.
    /// </summary>
    public bool Apply(ulong id, bool online, List<int>? turned = null)
    {
        int i = IndexOf(id);
        if (i < 0 || _online[i] == online)
            return false;
        _online[i] = online;
        foreach (int g in _groupsOf[i])
        {
            _onlineMembers[g] += online ? 1 : -1;
            if (_onlineMembers[g] == (online ? 1 : 0))
                turned?.Add(g);
        }
        return true;
    }

    /// <summary>A hash of the names and their versions (16 hex digits): equal only for the same groups at the same memberships.</summary>
    internal static string FingerprintOf(string[] names, long[] versions)
    {
        var hash = new XxHash64();
        Span<byte> number = stackalloc byte[8];
        var order = Enumerable.Range(0, names.Length).OrderBy(i => names[i], StringComparer.Ordinal);
        foreach (int i in order)
        {
            hash.Append(Encoding.ASCII.GetBytes(names[i]));
            BinaryPrimitives.WriteInt64LittleEndian(number, versions[i]);
            hash.Append(number);
        }
        return Convert.ToHexStringLower(hash.GetCurrentHash());
    }
}
