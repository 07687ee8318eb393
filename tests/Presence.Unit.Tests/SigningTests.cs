namespace Presence.Unit.Tests;

public sealed class SigningTests
{
    [Fact]
    public void MasterKeyRing_Parse_ReadsSeveralKeysAndIgnoresComments()
    {
        var ring = MasterKeyRing.Parse("# rotation\n0:" + new string('a', 64) + "\n\n7:" + new string('0', 64) + "\n");
        Assert.Equal([0, 7], ring.KeyIds.Select(k => (int)k));
    }

    [Theory]
    [InlineData("0:abcd", "64 hex digits")]
    [InlineData("x:" + "00", "key id")]
    [InlineData("256:00", "key id")]
    [InlineData("", "no keys")]
    public void MasterKeyRing_Parse_BadInput_NamesTheProblem(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => MasterKeyRing.Parse(text));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void MasterKeyRing_Parse_DuplicateId_Rejected()
    {
        var line = "3:" + new string('1', 64) + "\n";
        var e = Assert.Throws<FormatException>(() => MasterKeyRing.Parse(line + line));
        Assert.Contains("twice", e.Message);
        Assert.DoesNotContain(new string('1', 64), e.Message); // keys are never echoed
    }

    [Fact]
    public void DeriveDeviceKey_DifferentUsers_DifferentKeys()
    {
        var master = Vectors.MasterKey(0);
        Assert.NotEqual(Signing.DeriveDeviceKey(master, 1), Signing.DeriveDeviceKey(master, 2));
    }

    [Fact]
    public void HeartbeatClient_Build_SignedFrameVerifiesAndSeqAdvances()
    {
        var master = Vectors.MasterKey(7);
        var client = new HeartbeatClient(99, Signing.DeriveDeviceKey(master, 99), keyId: 7) { NextSeq = 65535 };
        var buffer = new byte[64];

        int n = client.Build(buffer, RecordKind.Heartbeat, 1764270000);
        Assert.Equal(FrameStatus.Ok, FrameParser.TryParse(buffer.AsSpan(0, n), out var frame));
        Assert.Equal(new HeartbeatRecord(99, 1764270000, 65535, RecordKind.Heartbeat, 7), frame[0]);
        Assert.True(Signing.VerifyRecord(frame, 0, Signing.DeriveDeviceKey(master, 99)));
        Assert.Equal(0, client.NextSeq); // wraps
    }

    [Fact]
    public void PresenceKeys_Format_DecimalIdBehindPrefix()
    {
        Span<byte> key = stackalloc byte[64];
        int n = PresenceKeys.Format("presence:"u8, ulong.MaxValue, key);
        Assert.Equal("presence:18446744073709551615", System.Text.Encoding.UTF8.GetString(key[..n]));
    }
}
