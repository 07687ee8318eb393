using Presence.Testing;

namespace Presence.Integration.Tests.Deploy;

/// <summary>The checkout the tests were built from: its deployment files are what these tests check.</summary>
internal static class Repository
{
    public static string Root => RepositoryRoot.Path;

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

}
