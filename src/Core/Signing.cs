using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;

namespace Presence.Core;

/// <summary>
/// Device keys and record tags (PROTOCOL.md, "Signed records"), with the BCL's HKDF and HMAC.
/// </summary>
public static class Signing
{
    public const int MasterKeySize = 32;
    public const int DeviceKeySize = 32;

    internal static ReadOnlySpan<byte> Salt => "presence/v1"u8;

    /// <summary>device_key = HKDF-SHA256(master, salt "presence/v1", info = user id big-endian, 32 bytes).</summary>
    public static void DeriveDeviceKey(ReadOnlySpan<byte> masterKey, ulong userId, Span<byte> destination)
    {
        if (destination.Length != DeviceKeySize)
            ThrowKeyLength(nameof(destination), destination.Length);
        Span<byte> info = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(info, userId);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, masterKey, destination, Salt, info);
    }

    public static byte[] DeriveDeviceKey(ReadOnlySpan<byte> masterKey, ulong userId)
    {
        var key = new byte[DeviceKeySize];
        DeriveDeviceKey(masterKey, userId, key);
        return key;
    }

    /// <summary>tag = first 16 bytes of HMAC-SHA256(device_key, header[0..4] || record[0..16]).</summary>
    public static void ComputeTag(ReadOnlySpan<byte> deviceKey, ReadOnlySpan<byte> signedHeader, ReadOnlySpan<byte> record, Span<byte> tag)
    {
        if (deviceKey.Length != DeviceKeySize)
            ThrowKeyLength(nameof(deviceKey), deviceKey.Length);
        HmacSha256Key.Create(deviceKey, out var prepared);
        ComputeTag(prepared, signedHeader, record, tag);
        prepared.Clear();
    }

    /// <summary>The tag of a record under a device key already made ready (<see cref="PrepareDeviceKey"/>).</summary>
    public static void ComputeTag(in HmacSha256Key deviceKey, ReadOnlySpan<byte> signedHeader, ReadOnlySpan<byte> record, Span<byte> tag)
    {
        Span<byte> message = stackalloc byte[FrameFormat.SignedHeaderSize + HeartbeatRecord.Size];
        signedHeader[..FrameFormat.SignedHeaderSize].CopyTo(message);
        record[..HeartbeatRecord.Size].CopyTo(message[FrameFormat.SignedHeaderSize..]);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        deviceKey.Compute(message, mac);
        mac[..FrameFormat.TagSize].CopyTo(tag);
    }

    /// <summary>Makes a 32-byte device key ready for many tags.</summary>
    public static void PrepareDeviceKey(ReadOnlySpan<byte> deviceKey, out HmacSha256Key prepared)
    {
        if (deviceKey.Length != DeviceKeySize)
            ThrowKeyLength(nameof(deviceKey), deviceKey.Length);
        HmacSha256Key.Create(deviceKey, out prepared);
    }

    /// <summary>True when <paramref name="tag"/> is right for the record; compared in constant time.</summary>
    public static bool VerifyTag(ReadOnlySpan<byte> deviceKey, ReadOnlySpan<byte> signedHeader, ReadOnlySpan<byte> record, ReadOnlySpan<byte> tag)
    {
        PrepareDeviceKey(deviceKey, out var prepared);
        bool valid = VerifyTag(prepared, signedHeader, record, tag);
        prepared.Clear();
        return valid;
    }

    /// <inheritdoc cref="VerifyTag(ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>
    public static bool VerifyTag(in HmacSha256Key deviceKey, ReadOnlySpan<byte> signedHeader, ReadOnlySpan<byte> record, ReadOnlySpan<byte> tag)
    {
        Span<byte> expected = stackalloc byte[FrameFormat.TagSize];
        ComputeTag(deviceKey, signedHeader, record, expected);
        return CryptographicOperations.FixedTimeEquals(expected, tag);
    }

    /// <summary>Verifies record <paramref name="index"/> of a signed frame.</summary>
    public static bool VerifyRecord(in Frame frame, int index, ReadOnlySpan<byte> deviceKey) =>
        VerifyTag(deviceKey, frame.SignedHeader, frame.RecordBytes(index), frame.Tag(index));

    /// <inheritdoc cref="VerifyRecord(in Frame, int, ReadOnlySpan{byte})"/>
    public static bool VerifyRecord(in Frame frame, int index, in HmacSha256Key deviceKey) =>
        VerifyTag(deviceKey, frame.SignedHeader, frame.RecordBytes(index), frame.Tag(index));

    [DoesNotReturn]
    internal static void ThrowKeyLength(string name, int length) =>
        throw new ArgumentException($"A key is {DeviceKeySize} bytes, not {length}.", name);
}
