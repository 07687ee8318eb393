using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace Presence.Core;

/// <summary>Encodes frames (PROTOCOL.md). The caller owns the buffer; nothing is allocated.</summary>
public static class FrameWriter
{
    /// <summary>Writes an unsigned frame holding <paramref name="records"/>; returns its length.</summary>
    public static int WriteUnsigned(Span<byte> destination, ReadOnlySpan<HeartbeatRecord> records)
    {
        int size = CheckedSize(destination, records.Length, signed: false);
        WriteHeader(destination, records.Length, signed: false);
        var body = destination[FrameFormat.HeaderSize..];
        for (int i = 0; i < records.Length; i++)
            records[i].Write(body.Slice(i * FrameFormat.UnsignedRecordSize));
        return size;
    }

    /// <summary>Writes a signed frame, each record tagged with its user's device key; returns its length.</summary>
    public static int WriteSigned(Span<byte> destination, ReadOnlySpan<HeartbeatRecord> records, IDeviceKeySource keys)
    {
        int size = CheckedSize(destination, records.Length, signed: true);
        WriteHeader(destination, records.Length, signed: true);
        Span<byte> deviceKey = stackalloc byte[Signing.DeviceKeySize];
        var header = destination[..FrameFormat.SignedHeaderSize];
        for (int i = 0; i < records.Length; i++)
        {
            var slot = destination.Slice(FrameFormat.HeaderSize + i * FrameFormat.SignedRecordSize, FrameFormat.SignedRecordSize);
            records[i].Write(slot);
            keys.GetDeviceKey(records[i].UserId, records[i].KeyId, deviceKey);
            Signing.ComputeTag(deviceKey, header, slot[..HeartbeatRecord.Size], slot[HeartbeatRecord.Size..]);
        }
        deviceKey.Clear();
        return size;
    }

    /// <summary>Writes a signed frame, record <c>i</c> tagged with <paramref name="deviceKeys"/>[i], keys made ready beforehand.</summary>
    public static int WriteSigned(Span<byte> destination, ReadOnlySpan<HeartbeatRecord> records, ReadOnlySpan<HmacSha256Key> deviceKeys)
    {
        if (deviceKeys.Length != records.Length)
            throw new ArgumentException($"{records.Length} records need as many keys, not {deviceKeys.Length}.", nameof(deviceKeys));
        int size = CheckedSize(destination, records.Length, signed: true);
        WriteHeader(destination, records.Length, signed: true);
        var header = destination[..FrameFormat.SignedHeaderSize];
        for (int i = 0; i < records.Length; i++)
        {
            var slot = destination.Slice(FrameFormat.HeaderSize + i * FrameFormat.SignedRecordSize, FrameFormat.SignedRecordSize);
            records[i].Write(slot);
            Signing.ComputeTag(deviceKeys[i], header, slot[..HeartbeatRecord.Size], slot[HeartbeatRecord.Size..]);
        }
        return size;
    }

    /// <summary>Writes a signed frame for one device, which knows only its own device key.</summary>
    public static int WriteSigned(Span<byte> destination, ReadOnlySpan<HeartbeatRecord> records, ReadOnlySpan<byte> deviceKey)
    {
        int size = CheckedSize(destination, records.Length, signed: true);
        WriteHeader(destination, records.Length, signed: true);
        Signing.PrepareDeviceKey(deviceKey, out var prepared);
        var header = destination[..FrameFormat.SignedHeaderSize];
        for (int i = 0; i < records.Length; i++)
        {
            var slot = destination.Slice(FrameFormat.HeaderSize + i * FrameFormat.SignedRecordSize, FrameFormat.SignedRecordSize);
            records[i].Write(slot);
            Signing.ComputeTag(prepared, header, slot[..HeartbeatRecord.Size], slot[HeartbeatRecord.Size..]);
        }
        prepared.Clear();
        return size;
    }

    private static void WriteHeader(Span<byte> destination, int count, bool signed)
    {
        destination[0] = FrameFormat.Magic0;
        destination[1] = FrameFormat.Magic1;
        destination[2] = FrameFormat.Version;
        destination[3] = signed ? FrameFormat.FlagSigned : (byte)0;
        BinaryPrimitives.WriteUInt16BigEndian(destination[4..], (ushort)count);
    }

    private static int CheckedSize(Span<byte> destination, int count, bool signed)
    {
        if (count is < 1 or > ushort.MaxValue)
            ThrowCount(count);
        int size = FrameFormat.FrameSize(count, signed);
        if (destination.Length < size)
            ThrowTooSmall(size, destination.Length);
        return size;
    }

    [DoesNotReturn]
    private static void ThrowCount(int count) =>
        throw new ArgumentOutOfRangeException(nameof(count), count, "A frame holds 1 to 65535 records.");

    [DoesNotReturn]
    private static void ThrowTooSmall(int needed, int length) =>
        throw new ArgumentException($"The frame needs {needed} bytes; the buffer has {length}.", "destination");
}
