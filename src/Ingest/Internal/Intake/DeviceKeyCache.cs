using Presence.Core;

namespace Presence.Ingest.Internal.Intake;

/// <summary>
/// Device keys derived from the master keys, cached ready for tags (<see cref="HmacSha256Key"/>)
/// in a fixed table of two-way sets: bounded memory, no allocation after start. A hit costs
/// the tag's two SHA-256 compressions; a miss adds the derivation (HKDF-Expand, two more) and
/// the key's preparation (two more), and replaces the older entry of the user's set. Two ways
/// instead of one keep users from evicting each other when the table is nearly full. Thread-safe
/// by a per-set lock word; a contended set is simply derived again.
/// </summary>
internal sealed class DeviceKeyCache
{
    private struct Entry
    {
        public ulong User;
        public int KeyId; // -1: empty
        public HmacSha256Key Key;
    }

    private struct Set
    {
        public int Busy;
        public int Newer; // which way was filled last
        public Entry Way0;
        public Entry Way1;
    }

    private readonly Set[] _sets;
    private readonly MasterKeyRing _ring;

    /// <param name="slots">Keys held in all (two a set).</param>
    public DeviceKeyCache(MasterKeyRing ring, int slots)
    {
        _ring = ring;
        _sets = new Set[Math.Max(1, (slots + 1) / 2)];
        for (int i = 0; i < _sets.Length; i++)
        {
            _sets[i].Way0.KeyId = -1;
            _sets[i].Way1.KeyId = -1;
        }
    }

    public long Misses;

    /// <summary>Writes the ready device key of (<paramref name="user"/>, <paramref name="keyId"/>); false when no such master key.</summary>
    public bool TryGet(ulong user, byte keyId, out HmacSha256Key key)
    {
        if (!_ring.TryGetDeriver(keyId, out var deriver))
        {
            key = default;
            return false;
        }
        ulong hash = (user ^ ((ulong)keyId << 56)) * 0x9E3779B97F4A7C15UL;
        ref var set = ref _sets[(int)(hash % (ulong)_sets.Length)];
        if (Interlocked.CompareExchange(ref set.Busy, 1, 0) == 0)
        {
            try
            {
                if (set.Way0.KeyId == keyId && set.Way0.User == user)
                {
                    key = set.Way0.Key;
                    return true;
                }
                if (set.Way1.KeyId == keyId && set.Way1.User == user)
                {
                    key = set.Way1.Key;
                    return true;
                }
                deriver.DerivePrepared(user, out key);
                ref var victim = ref set.Newer == 0 ? ref set.Way1 : ref set.Way0;
                victim.User = user;
                victim.KeyId = keyId;
                victim.Key = key;
                set.Newer = set.Newer == 0 ? 1 : 0;
            }
            finally
            {
                Volatile.Write(ref set.Busy, 0);
            }
        }
        else
        {
            deriver.DerivePrepared(user, out key);
        }
        Interlocked.Increment(ref Misses);
        return true;
    }
}
