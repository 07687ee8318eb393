namespace Presence.Integration.Tests.Clients;

/// <summary>Paths in the checkout the tests run from: the C and Python clients are built and run from their sources.</summary>
public static class RepoFiles
{
    private static readonly Lazy<string> s_root = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Presence.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No Presence.sln above {AppContext.BaseDirectory}: the client tests run from a checkout.");
    });

    public static string Root => s_root.Value;

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string Vectors => Path("docs", "vectors.json");
}
