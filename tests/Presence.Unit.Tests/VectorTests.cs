using System.Globalization;

namespace Presence.Unit.Tests;

/// <summary>Every entry of vectors.json: each test fails if the codec is wrong for that vector.</summary>
public sealed class VectorTests
{
    public static TheoryData<string> Valid => Vectors.Names("valid");
    public static TheoryData<string> Invalid => Vectors.Names("invalid");
    public static TheoryData<string> BadTag => Vectors.Names("bad_tag");

    [Fact]
    public void VectorsFile_IsTheSharedSpecCopy_HasEverySection()
    {
        Assert.NotEmpty(Valid);
        Assert.NotEmpty(Invalid);
        Assert.NotEmpty(BadTag);
        Assert.NotEmpty(Vectors.Root.GetProperty("device_keys").EnumerateArray());
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void TryParse_ValidVector_DecodesExactlyTheListedRecords(string name)
    {
        var v = Vectors.Get("valid", name);
        var bytes = Vectors.Hex(v);
        var expected = v.GetProperty("records").EnumerateArray().Select(Vectors.Record).ToArray();

        var status = FrameParser.TryParse(bytes, out var frame);

        Assert.Equal(FrameStatus.Ok, status);
        Assert.Equal(v.GetProperty("signed").GetBoolean(), frame.IsSigned);
        Assert.Equal(expected.Length, frame.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i], frame[i]);
            Assert.Equal(expected[i].UserId, frame.UserId(i));
        }
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void Write_ValidVectorRecords_ReproducesTheVectorBytes(string name)
    {
        var v = Vectors.Get("valid", name);
        var expected = Vectors.Hex(v);
        var records = v.GetProperty("records").EnumerateArray().Select(Vectors.Record).ToArray();
        var buffer = new byte[2048];

        int length = v.GetProperty("signed").GetBoolean()
            ? FrameWriter.WriteSigned(buffer, records, Vectors.Ring())
            : FrameWriter.WriteUnsigned(buffer, records);

        Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(buffer, 0, length));
    }

    [Theory]
    [MemberData(nameof(Valid))]
    public void VerifyRecord_ValidSignedVector_EveryTagVerifies(string name)
    {
        var v = Vectors.Get("valid", name);
        if (!v.GetProperty("signed").GetBoolean())
            return; // unsigned vectors carry no tags; the parse test covers them
        var bytes = Vectors.Hex(v);
        Assert.Equal(FrameStatus.Ok, FrameParser.TryParse(bytes, out var frame));
        var ring = Vectors.Ring();
        var key = new byte[32];
        for (int i = 0; i < frame.Count; i++)
        {
            ring.GetDeviceKey(frame[i].UserId, frame[i].KeyId, key);
            Assert.True(Signing.VerifyRecord(frame, i, key), $"record {i} of '{name}'");
        }
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void TryParse_InvalidVector_IsMalformed(string name)
    {
        var bytes = Vectors.Hex(Vectors.Get("invalid", name));

        var status = FrameParser.TryParse(bytes, out var frame);

        Assert.NotEqual(FrameStatus.Ok, status);
        Assert.Equal(0, frame.Count);
    }

    [Theory]
    [MemberData(nameof(BadTag))]
    public void VerifyRecord_BadTagVector_FailsAuthentication(string name)
    {
        var bytes = Vectors.Hex(Vectors.Get("bad_tag", name));
        // A bad tag is not a structural fault: the frame parses, its records fail verification.
        Assert.Equal(FrameStatus.Ok, FrameParser.TryParse(bytes, out var frame));
        Assert.True(frame.IsSigned);
        var ring = Vectors.Ring();
        var key = new byte[32];
        for (int i = 0; i < frame.Count; i++)
        {
            ring.GetDeviceKey(frame[i].UserId, frame[i].KeyId, key);
            Assert.False(Signing.VerifyRecord(frame, i, key), $"record {i} of '{name}' verified");
        }
    }

    [Fact]
    public void DeriveDeviceKey_EveryVector_MatchesListedKey()
    {
        int checkedKeys = 0;
        foreach (var d in Vectors.Root.GetProperty("device_keys").EnumerateArray())
        {
            var master = Vectors.MasterKey(d.GetProperty("key_id").GetByte());
            var user = ulong.Parse(d.GetProperty("user_id").GetString()!, CultureInfo.InvariantCulture);

            var key = Signing.DeriveDeviceKey(master, user);

            Assert.Equal(d.GetProperty("hex").GetString(), Convert.ToHexString(key), ignoreCase: true);
            checkedKeys++;
        }
        Assert.True(checkedKeys > 0);
    }
}
