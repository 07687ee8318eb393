namespace Presence.Testing;

/// <summary>The checkout a test, benchmark or tool runs from: the directory holding Presence.sln.</summary>
public static class RepositoryRoot
{
    private static readonly Lazy<string> s_path = new(Find);

    /// <summary>The directory holding Presence.sln: the working directory or one of its parents, else the program's.</summary>
    public static string Path => s_path.Value;

    /// <summary>A path in the checkout.</summary>
    public static string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    private static string Find()
    {
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(System.IO.Path.Combine(dir.FullName, "Presence.sln")))
                    return dir.FullName;
            }
        }
        throw new InvalidOperationException($"No Presence.sln above {Environment.CurrentDirectory} or {AppContext.BaseDirectory}: run from a checkout.");
    }
}
