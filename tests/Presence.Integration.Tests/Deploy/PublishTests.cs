using System.Buffers.Binary;
using System.Security.Cryptography;
using Presence.Testing;
using Xunit.Abstractions;


namespace Presence.Integration.Tests.Deploy;

/// <summary>
/// scripts/publish.sh: self-contained single-file executables of the three programs with their
/// SHA-256 sums; the linux-x64 ones run here. linux-arm64 is published for one program only (the
/// same script path, a fraction of the time: publishing all six took over 5 minutes on a loaded
/// 2-core machine, past the test run's hang limit). In the redis collection only so that the
/// publish (minutes of CPU) does not run beside the timing tests.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class PublishTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] s_rids = ["linux-x64"];

    private readonly string _scratch = Directory.CreateTempSubdirectory("presence-publish-").FullName;

    private static Task<ToolRun> Publish(params string[] args) =>
        ToolRun.RunAsync("bash", [Repository.PathOf("scripts", "publish.sh"), .. args], TimeSpan.FromMinutes(15));

    [Fact]
    public async Task Publish_X64_OneExecutableEach_SumsMatch_EachRunsHelp()
    {
        var outDir = Path.Combine(_scratch, "out");

        var result = await Publish("--rid", "linux-x64", "--out", outDir);

        Assert.True(result.ExitCode == 0, $"publish.sh: {result}");
        output.WriteLine(result.Stdout);

        // Nothing but the executables and the sums.
        var expected = s_rids.SelectMany(r => Programs.All.Select(p => $"{r}/{p}")).Append("SHA256SUMS").Order().ToList();
        var produced = Directory.GetFiles(outDir, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(outDir, f)).Order().ToList();
        Assert.Equal(expected, produced);

        var sums = File.ReadAllLines(Path.Combine(outDir, "SHA256SUMS"));
        Assert.Equal(expected.Count - 1, sums.Length);
        foreach (var line in sums)
        {
            var (hash, path) = (line[..64], line[66..]);
            using var file = File.OpenRead(Path.Combine(outDir, path));
            Assert.Equal(Convert.ToHexStringLower(await SHA256.HashDataAsync(file)), hash);
        }

        foreach (var program in Programs.All)
            Assert.Equal(ElfMachineX64, ElfMachine(Path.Combine(outDir, "linux-x64", program)));

        // The x64 executables run here: self-contained (DOTNET_ROOT points nowhere), --help exits 0.
        foreach (var (program, option) in new[] { (Programs.Ingest, "--reuseport"), (Programs.Query, "--trusted-proxies"), (Programs.LoadGen, "--target") })
        {
            var help = await ToolRun.RunAsync(Path.Combine(outDir, "linux-x64", program), ["--help"], TimeSpan.FromMinutes(2), environment: new Dictionary<string, string>
            {
                ["DOTNET_BUNDLE_EXTRACT_BASE_DIR"] = Path.Combine(_scratch, "extract"),
                ["DOTNET_ROOT"] = Path.Combine(_scratch, "no-dotnet-here"),
            });
            Assert.True(help.ExitCode == 0, $"{program} --help: {help}");
            Assert.StartsWith($"{program}: ", help.Stdout);
            Assert.Contains(option, help.Stdout);
        }
    }

    [Fact]
    public async Task Publish_Arm64_AnAArch64ExecutableWithItsSum()
    {
        var outDir = Path.Combine(_scratch, "arm64");

        var result = await Publish("--rid", "linux-arm64", "--only", Programs.LoadGen, "--out", outDir);

        Assert.True(result.ExitCode == 0, $"publish.sh: {result}");
        Assert.Equal(ElfMachineArm64, ElfMachine(Path.Combine(outDir, "linux-arm64", Programs.LoadGen)));
        var sum = Assert.Single(File.ReadAllLines(Path.Combine(outDir, "SHA256SUMS")));
        Assert.EndsWith($"linux-arm64/{Programs.LoadGen}", sum);
    }

    [Theory]
    [InlineData("--rid", "win-x64")]
    [InlineData("--only", "presence-demo")]
    [InlineData("--version", "1.0 beta")]
    [InlineData("--bogus")]
    public async Task Publish_BadArgument_Exits2BeforeBuilding(params string[] args)
    {
        var result = await Publish([.. args, "--out", Path.Combine(_scratch, "never")]);

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("publish.sh: ", result.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_scratch, "never")));
    }

    [Fact]
    public async Task Publish_OutIsAFolderOfSomethingElse_RefusedAndLeftAlone()
    {
        var precious = Path.Combine(_scratch, "precious");
        Directory.CreateDirectory(precious);
        File.WriteAllText(Path.Combine(precious, "notes.txt"), "mine");

        var result = await Publish("--out", precious);

        Assert.Equal(2, result.ExitCode);
        Assert.Equal("mine", File.ReadAllText(Path.Combine(precious, "notes.txt")));
    }

    private const ushort ElfMachineX64 = 62;
    private const ushort ElfMachineArm64 = 183;

    /// <summary>e_machine of an ELF executable (little-endian, at byte 18).</summary>
    private static ushort ElfMachine(string path)
    {
        var header = new byte[20];
        using (var file = File.OpenRead(path))
            file.ReadExactly(header);
        Assert.True(header.AsSpan(0, 4).SequenceEqual("\u007fELF"u8), $"{path} is not an ELF executable");
        Assert.True(new FileInfo(path).UnixFileMode.HasFlag(UnixFileMode.UserExecute), $"{path} is not executable");
        return BinaryPrimitives.ReadUInt16LittleEndian(header.AsSpan(18));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_scratch, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
