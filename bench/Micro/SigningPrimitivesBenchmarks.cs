using System.Buffers.Binary;
using System.Security.Cryptography;
using BenchmarkDotNet.Attributes;
using Presence.Core;

namespace Presence.Bench.Micro;

/// <summary>
/// What a signed record can cost, one per operation. The tag: the BCL's one-shot HMAC (the
/// baseline), the HMAC construction over two BCL one-shot SHA-256 calls, and
/// <see cref="HmacSha256Key"/> from a prepared key (what the ingest does on a cache hit) or
/// preparing it first. The device key: the BCL's full HKDF, the BCL's HKDF-Expand from a PRK
/// extracted once, and <see cref="DeviceKeyDeriver"/> (what a cache miss costs, before preparing).
/// </summary>
public class SigningPrimitivesBenchmarks
{
    private readonly byte[] _master = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
    private readonly byte[] _deviceKey = new byte[32];
    private readonly byte[] _message = new byte[20];
    private readonly byte[] _mac = new byte[32];
    private byte[] _prk = null!;
    private HmacSha256Key _prepared;
    private DeviceKeyDeriver _deriver = null!;
    private ulong _user = 1;

    [GlobalSetup]
    public void Setup()
    {
        Signing.DeriveDeviceKey(_master, 42, _deviceKey);
        _prk = HKDF.Extract(HashAlgorithmName.SHA256, _master, "presence/v1"u8.ToArray());
        HmacSha256Key.Create(_deviceKey, out _prepared);
        _deriver = new DeviceKeyDeriver(_master);
        if (!HmacSha256Key.IsNative)
            Console.WriteLine("// HmacSha256Key is not native here: its rows measure the BCL fallback");
    }

    [Benchmark(Baseline = true)]
    public byte HmacOneShot()
    {
        HMACSHA256.HashData(_deviceKey, _message, _mac);
        return _mac[0];
    }

    [Benchmark]
    public byte HmacFromSha256()
    {
        Span<byte> inner = stackalloc byte[64 + 20];
        Span<byte> outer = stackalloc byte[64 + 32];
        for (int i = 0; i < 32; i++)
        {
            inner[i] = (byte)(_deviceKey[i] ^ 0x36);
            outer[i] = (byte)(_deviceKey[i] ^ 0x5c);
        }
        inner[32..64].Fill(0x36);
        outer[32..64].Fill(0x5c);
        _message.CopyTo(inner[64..]);
        SHA256.HashData(inner, outer[64..]);
        SHA256.HashData(outer, _mac);
        return _mac[0];
    }

    [Benchmark]
    public byte HmacPrepared()
    {
        _prepared.Compute(_message, _mac);
        return _mac[0];
    }

    [Benchmark]
    public byte HmacPrepareThenCompute()
    {
        HmacSha256Key.Create(_deviceKey, out var key);
        key.Compute(_message, _mac);
        return _mac[0];
    }

    [Benchmark]
    public byte HkdfDeriveKey()
    {
        Signing.DeriveDeviceKey(_master, _user++, _deviceKey);
        return _deviceKey[0];
    }

    [Benchmark]
    public byte HkdfExpandFromPrk()
    {
        Span<byte> info = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(info, _user++);
        HKDF.Expand(HashAlgorithmName.SHA256, _prk, _deviceKey, info);
        return _deviceKey[0];
    }

    [Benchmark]
    public byte DeriverDerive()
    {
        _deriver.Derive(_user++, _deviceKey);
        return _deviceKey[0];
    }
}
