namespace Presence.Integration.Tests.Deploy;

/// <summary>The checkout the tests were built from: its deployment files are what these tests check.</summary>
internal static class Repository
{
    public static string Root { get; } = Find();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Presence.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException($"No Presence.sln above {AppContext.BaseDirectory}: the tests must run from a build of the checkout.");
    }
}
