using Presence.Testing;

namespace Presence.Integration.Tests.Clients;

/// <summary>Paths in the checkout the tests run from: the C and Python clients are built and run from their sources.</summary>
public static class RepoFiles
{
    public static string Root => RepositoryRoot.Path;

    public static string Path(params string[] parts) => System.IO.Path.Combine([Root, .. parts]);

    public static string Vectors => Path("docs", "vectors.json");
}
