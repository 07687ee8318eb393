using System.IO.Compression;
using Presence.Testing;

namespace Presence.Integration.Tests.Clients;

/// <summary>Presence.Client packs with <c>dotnet pack</c> (the build's own output, so it checks packing, not compiling).</summary>
// In the shared collection so packing never runs beside a test that times UDP and flushes.
[Collection(RedisCollection.Name)]
public sealed class ClientPackageTests
{
#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    [Fact]
    public async Task Pack_Client_NupkgHoldsLibraryAndDependsOnCore()
    {
        var output = Path.Combine(Path.GetTempPath(), $"presence-pack-{Guid.NewGuid():N}");
        try
        {
            var run = await ToolRun.RunAsync("dotnet", ["pack", RepoFiles.Path("src", "Client", "Presence.Client.csproj"), "-c", Configuration, "--no-build", "-o", output, "-nologo"], TimeSpan.FromMinutes(3));

            Assert.True(run.ExitCode == 0, run.Output);
            var package = Assert.Single(Directory.GetFiles(output, "Presence.Client.*.nupkg"));
            using var zip = ZipFile.OpenRead(package);
            Assert.Contains(zip.Entries, e => e.FullName == "lib/net10.0/Presence.Client.dll");
            using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
            Assert.Contains("<dependency id=\"Presence.Core\"", await nuspec.ReadToEndAsync());
        }
        finally
        {
            if (Directory.Exists(output))
                Directory.Delete(output, recursive: true);
        }
    }
}
