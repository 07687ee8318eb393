using System.Globalization;
using System.Security.Cryptography;
using CsCheck;

namespace Presence.Unit.Tests;

/// <summary>The fast HMAC and device-key paths give exactly what the BCL's HMACSHA256 and HKDF give.</summary>
public sealed class HmacSha256KeyTests
{
    [Fact]
    public void IsNative_OnLinux_TheLibcryptoPathPassedItsSelfTest()
    {
        // .NET on Linux needs libcrypto anyway; if this fails, signed intake silently runs ~10x slower.
        Assert.Equal(OperatingSystem.IsLinux(), HmacSha256Key.IsNative);
    }

    [Fact]
    public void Compute_RandomKeysAndMessages_EqualsBclHmacSha256()
    {
        Gen.Select(Gen.Byte.Array[1, HmacSha256Key.MaxKeySize], Gen.Byte.Array[0, 300], (key, message) => (key, message))
            .Sample(t =>
            {
                HmacSha256Key.Create(t.key, out var prepared);
                var mac = new byte[32];
                prepared.Compute(t.message, mac);
                Assert.Equal(HMACSHA256.HashData(t.key, t.message), mac);
                prepared.Compute(t.message, mac); // the prepared key is not consumed by use
                Assert.Equal(HMACSHA256.HashData(t.key, t.message), mac);
            }, iter: 2000);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public void Create_KeyOutOfRange_Throws(int length)
    {
        Assert.Throws<ArgumentException>(() => HmacSha256Key.Create(new byte[length], out _));
    }

    [Fact]
    public void DeviceKeyDeriver_RandomMastersAndUsers_EqualsFullHkdf()
    {
        Gen.Select(Gen.Byte.Array[32], Gen.ULong, (master, user) => (master, user)).Sample(t =>
        {
            var fast = new byte[Signing.DeviceKeySize];
            new DeviceKeyDeriver(t.master).Derive(t.user, fast);
            Assert.Equal(Signing.DeriveDeviceKey(t.master, t.user), fast);
        }, iter: 500);
    }

    [Fact]
    public void DeviceKeyDeriver_EveryVector_MatchesListedKey()
    {
        int checkedKeys = 0;
        foreach (var d in Vectors.Root.GetProperty("device_keys").EnumerateArray())
        {
            var ring = new MasterKeyRing();
            ring.Add(d.GetProperty("key_id").GetByte(), Vectors.MasterKey(d.GetProperty("key_id").GetByte()));
            var user = ulong.Parse(d.GetProperty("user_id").GetString()!, CultureInfo.InvariantCulture);
            var key = new byte[Signing.DeviceKeySize];

            ring.GetDeviceKey(user, d.GetProperty("key_id").GetByte(), key);

            Assert.Equal(d.GetProperty("hex").GetString(), Convert.ToHexString(key), ignoreCase: true);
            checkedKeys++;
        }
        Assert.True(checkedKeys > 0);
    }

    [Fact]
    public void PreparedDeviceKey_TagsEqualTagsFromRawKey()
    {
        Gen.Select(Gen.Byte.Array[32], Gen.Byte.Array[4], Gen.Byte.Array[16], (key, header, record) => (key, header, record)).Sample(t =>
        {
            var raw = new byte[16];
            var fast = new byte[16];
            Signing.PrepareDeviceKey(t.key, out var prepared);
            Signing.ComputeTag(t.key, t.header, t.record, raw);
            Signing.ComputeTag(prepared, t.header, t.record, fast);
            var mac = HMACSHA256.HashData(t.key, t.header.Concat(t.record).ToArray());
            Assert.Equal(mac[..16], raw);
            Assert.Equal(raw, fast);
            Assert.True(Signing.VerifyTag(prepared, t.header, t.record, fast));
        }, iter: 1000);
    }
}
