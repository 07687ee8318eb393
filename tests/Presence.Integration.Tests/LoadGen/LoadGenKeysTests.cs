using Presence.Core;

namespace Presence.Integration.Tests.LoadGen;

/// <summary><c>presence-loadgen keys new|derive</c>, on real files.</summary>
[Collection(RedisCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LoadGenKeysTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("presence-loadgen-keys-").FullName;

    [Fact]
    public async Task KeysNew_WritesAKeyFileOnlyItsOwnerCanRead_ThatParses()
    {
        var path = Path.Combine(_dir, "master.keys");

        var run = await LoadGenProcess.Run("keys", "new", "--out", path, "--key-id", "4");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        var ring = MasterKeyRing.Parse(File.ReadAllText(path));
        Assert.Equal([4], ring.KeyIds.Select(k => (int)k));
    }

    [Fact]
    public async Task KeysNew_FileExists_RefusesAndKeepsIt()
    {
        var path = Path.Combine(_dir, "in-use.keys");
        File.WriteAllText(path, "keep me");

        var run = await LoadGenProcess.Run("keys", "new", "--out", path);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("exists", run.Stderr);
        Assert.Equal("keep me", File.ReadAllText(path));
    }

    [Fact]
    public async Task KeysDerive_PrintsTheUsersDeviceKey_UnderTheHighestKeyByDefault()
    {
        var path = Path.Combine(_dir, "two.keys");
        await LoadGenProcess.Run("keys", "new", "--out", path, "--key-id", "1");
        var second = Path.Combine(_dir, "second.keys");
        await LoadGenProcess.Run("keys", "new", "--out", second, "--key-id", "7");
        File.AppendAllText(path, File.ReadAllText(second));
        var ring = MasterKeyRing.Parse(File.ReadAllText(path));

        var highest = await LoadGenProcess.Run("keys", "derive", "--keys", path, "--user", "42");
        var first = await LoadGenProcess.Run("keys", "derive", "--keys", path, "--user", "42", "--key-id", "1");

        Assert.Equal(0, highest.ExitCode);
        ring.TryGet(7, out var master7);
        ring.TryGet(1, out var master1);
        Assert.Equal(Convert.ToHexStringLower(Signing.DeriveDeviceKey(master7, 42)) + Environment.NewLine, highest.Stdout);
        Assert.Equal(Convert.ToHexStringLower(Signing.DeriveDeviceKey(master1, 42)) + Environment.NewLine, first.Stdout);
    }

    [Fact]
    public async Task KeysDerive_NoSuchKeyId_ExitsTwo()
    {
        var path = Path.Combine(_dir, "one.keys");
        await LoadGenProcess.Run("keys", "new", "--out", path);

        var run = await LoadGenProcess.Run("keys", "derive", "--keys", path, "--user", "1", "--key-id", "9");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("no key 9", run.Stderr);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
