using Presence.Testing;

namespace Presence.Integration.Tests.Clients;

/// <summary>clients/c built once for the class by clients/c/build.sh (gcc, C99, -Werror, ASan and UBSan) into a temporary folder.</summary>
public sealed class CClientBuild : IAsyncLifetime
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), $"presence-c-{Guid.NewGuid():N}");

    /// <summary>build.sh's output, with the <c>size</c> table of the library objects.</summary>
    public ToolRun Build { get; private set; } = new(-1, "", "not built");

    public string Program(string name) => Path.Combine(Directory, name);

    public async Task InitializeAsync()
    {
        Build = await ToolRun.RunAsync("bash", [RepoFiles.Path("clients", "c", "build.sh"), Directory], TimeSpan.FromMinutes(3));
        if (Build.ExitCode != 0)
            throw new InvalidOperationException($"clients/c/build.sh failed:\n{Build.Output}");
    }

    public Task DisposeAsync()
    {
        if (System.IO.Directory.Exists(Directory))
            System.IO.Directory.Delete(Directory, recursive: true);
        return Task.CompletedTask;
    }
}
