namespace Presence.Integration.Tests.Deploy;

/// <summary>Finds the external tools the deploy tests run (<see cref="Presence.Testing.ToolRun"/> runs them).</summary>
internal static class Tool
{
    /// <summary>
    /// The path of <paramref name="name"/>, which ./scripts/test.sh installs from Debian package
    /// <paramref name="package"/>; fails the test, saying so, when it is not there.
    /// </summary>
    public static string Require(string name, string package)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin").Append("/usr/sbin"))
        {
            var path = Path.Combine(dir, name);
            if (dir.Length > 0 && File.Exists(path))
                return path;
        }
        Assert.Fail($"{name} is not installed: `apt-get install {package}` (./scripts/test.sh does it)");
        return null!;
    }
}
