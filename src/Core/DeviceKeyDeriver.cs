using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Presence.Core;

/// <summary>
/// Derives the device keys of one master key, as <see cref="Signing.DeriveDeviceKey(ReadOnlySpan{byte}, ulong, Span{byte})"/>
/// does, but faster: HKDF's extract step (PRK = HMAC(salt, master)) depends on the master key
/// alone, so it runs once here, and each device key is the expand step's single block,
/// T(1) = HMAC(PRK, user id big-endian || 0x01) (RFC 5869, section 2.3), with PRK made ready
/// once (<see cref="HmacSha256Key"/>). Immutable; thread-safe.
/// </summary>
public sealed class DeviceKeyDeriver
{
    private readonly HmacSha256Key _prk;

    public DeviceKeyDeriver(ReadOnlySpan<byte> masterKey)
    {
        if (masterKey.Length != Signing.MasterKeySize)
            Signing.ThrowKeyLength(nameof(masterKey), masterKey.Length);
        Span<byte> prk = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HKDF.Extract(HashAlgorithmName.SHA256, masterKey, Signing.Salt, prk);
        HmacSha256Key.Create(prk, out _prk);
        prk.Clear();
    }

    /// <summary>Writes the 32-byte device key of <paramref name="userId"/>.</summary>
    public void Derive(ulong userId, Span<byte> destination)
    {
        if (destination.Length != Signing.DeviceKeySize)
            Signing.ThrowKeyLength(nameof(destination), destination.Length);
        Span<byte> info = stackalloc byte[9];
        BinaryPrimitives.WriteUInt64BigEndian(info, userId);
        info[8] = 1;
        _prk.Compute(info, destination);
    }

    /// <summary>The device key of <paramref name="userId"/>, made ready for tags.</summary>
    public void DerivePrepared(ulong userId, out HmacSha256Key deviceKey)
    {
        Span<byte> key = stackalloc byte[Signing.DeviceKeySize];
        Derive(userId, key);
        HmacSha256Key.Create(key, out deviceKey);
        key.Clear();
    }
}
