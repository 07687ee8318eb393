using System.Runtime.CompilerServices;
using Presence.Core;

namespace Presence.Ingest.Internal;

/// <summary>
/// Device keys derived from the master keys (HKDF per user), cached in a fixed, direct-mapped
/// table: bounded memory, no allocation after start, a miss costs one HKDF. Thread-safe by
/// a per-slot lock word; a contended slot is simply derived again.
/// </summary>
internal sealed class DeviceKeyCache
{
    [InlineArray(Signing.DeviceKeySize)]
    private struct Key32
    {
        private byte _first;
    }

    private struct Slot
    {
        public ulong User;
        public int KeyId; // -1: empty
        public int Busy;
        public Key32 Key;
    }

    private readonly Slot[] _slots;
    private readonly MasterKeyRing _ring;

    public DeviceKeyCache(MasterKeyRing ring, int slots)
    {
        _ring = ring;
        _slots = new Slot[Math.Max(1, slots)];
        for (int i = 0; i < _slots.Length; i++)
            _slots[i].KeyId = -1;
    }

    public long Misses;

    /// <summary>Writes the device key of (<paramref name="user"/>, <paramref name="keyId"/>); false when no such master key.</summary>
    public bool TryGet(ulong user, byte keyId, Span<byte> key)
    {
        if (!_ring.TryGet(keyId, out var master))
            return false;
        ulong hash = (user ^ ((ulong)keyId << 56)) * 0x9E3779B97F4A7C15UL;
        ref var slot = ref _slots[(int)(hash % (ulong)_slots.Length)];
        if (Interlocked.CompareExchange(ref slot.Busy, 1, 0) == 0)
        {
            try
            {
                if (slot.KeyId == keyId && slot.User == user)
                {
                    ((ReadOnlySpan<byte>)slot.Key).CopyTo(key);
                    return true;
                }
                Signing.DeriveDeviceKey(master, user, slot.Key);
                slot.User = user;
                slot.KeyId = keyId;
                ((ReadOnlySpan<byte>)slot.Key).CopyTo(key);
            }
            finally
            {
                Volatile.Write(ref slot.Busy, 0);
            }
        }
        else
        {
            Signing.DeriveDeviceKey(master, user, key);
        }
        Interlocked.Increment(ref Misses);
        return true;
    }
}
