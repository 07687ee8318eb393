using System.Globalization;
using Presence.Ingest;
using Presence.Testing;
using Xunit.Abstractions;

namespace Presence.Integration.Tests.Deploy;

/// <summary>
/// deploy/systemd: the units pass <c>systemd-analyze verify</c> without a warning, are hardened
/// (<c>systemd-analyze security</c>), and start the programs with options they accept, with a
/// stop timeout and a descriptor limit that fit those options.
/// </summary>
public sealed class SystemdUnitTests(ITestOutputHelper output) : IDisposable
{
    private const string IngestUnit = "presence-ingest@.service";
    private const string QueryUnit = "presence-query.service";

    /// <summary>The instance the checks start: the instance name is the ingester's HTTP port.</summary>
    private const string IngestInstance = "presence-ingest@9700.service";

    /// <summary>The credential every unit loads: the store password, as a file in its credentials directory.</summary>
    private const string PasswordCredential = "redis-password";

    private readonly string _root = Directory.CreateTempSubdirectory("presence-systemd-").FullName;

    /// <summary>
    /// What systemd puts in place of the specifiers the units use; <c>%d</c>, the credentials
    /// directory, is one of this test's holding an empty password file, as systemd would hand
    /// over an empty /etc/presence/*-redis-password (a Redis without a password).
    /// </summary>
    private Dictionary<string, string> Specifiers()
    {
        var credentials = Directory.CreateDirectory(Path.Combine(_root, "run", "credentials")).FullName;
        File.WriteAllText(Path.Combine(credentials, PasswordCredential), "");
        return new() { ["%i"] = "9700", ["%C"] = "/var/cache", ["%d"] = credentials };
    }

    private static string Deploy(string file) => Repository.PathOf("deploy", "systemd", file);

    /// <summary>
    /// A file-system root holding the units, their environment files and stand-ins for the
    /// programs they run, next to the host's own units (which verify needs: sysinit.target, …).
    /// </summary>
    private async Task<string> InstallAsync()
    {
        Directory.CreateDirectory(Path.Combine(_root, "usr", "lib", "systemd"));
        var hostUnits = Directory.Exists("/usr/lib/systemd/system") ? "/usr/lib/systemd/system" : "/lib/systemd/system";
        var copy = await ToolRun.RunAsync("cp", ["-a", hostUnits, Path.Combine(_root, "usr", "lib", "systemd")], TimeSpan.FromSeconds(60));
        Assert.True(copy.ExitCode == 0, copy.ToString());
        var etc = Directory.CreateDirectory(Path.Combine(_root, "etc", "systemd", "system")).FullName;
        var presence = Directory.CreateDirectory(Path.Combine(_root, "etc", "presence")).FullName;
        foreach (var unit in new[] { IngestUnit, QueryUnit })
        {
            File.Copy(Deploy(unit), Path.Combine(etc, unit));
            foreach (var exec in new[] { "ExecStart", "ExecReload", "ExecStop" }.SelectMany(k => UnitFile.Load(Deploy(unit)).All("Service", k)))
            {
                var program = exec.TrimStart('-', '@', ':', '+', '!').Split(' ')[0];
                Assert.StartsWith("/", program);
                var stub = Path.Combine(_root, program.TrimStart('/'));
                Directory.CreateDirectory(Path.GetDirectoryName(stub)!);
                File.WriteAllText(stub, "#!/bin/sh\n");
                File.SetUnixFileMode(stub, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }
        File.Copy(Deploy("ingest.env"), Path.Combine(presence, "ingest.env"));
        File.Copy(Deploy("query.env"), Path.Combine(presence, "query.env"));
        foreach (var file in new[] { "ingest-redis-password", "query-redis-password" })
            File.WriteAllText(Path.Combine(presence, file), "");
        return _root;
    }

    [Fact]
    public async Task Units_SystemdAnalyzeVerify_PassWithoutAWarning()
    {
        var systemdAnalyze = Tool.Require("systemd-analyze", "systemd");
        var root = await InstallAsync();

        var result = await ToolRun.RunAsync(systemdAnalyze, ["verify", $"--root={root}", IngestInstance, QueryUnit], TimeSpan.FromMinutes(2));

        // verify exits 0 on unknown keys and unparsable values too: it only warns, so any output fails.
        output.WriteLine($"systemd-analyze verify {IngestInstance} {QueryUnit}: {result}");
        Assert.True(result.ExitCode == 0 && (result.Stdout + result.Stderr).Trim().Length == 0, $"systemd-analyze verify: {result}");
    }

    [Fact]
    public async Task Units_SystemdAnalyzeVerify_CatchesAMistake()
    {
        // The check above is only worth something if verify reports what it should: a unit with a
        // misspelt key and a bad value makes it speak.
        var systemdAnalyze = Tool.Require("systemd-analyze", "systemd");
        var root = await InstallAsync();
        var unit = Path.Combine(root, "etc", "systemd", "system", QueryUnit);
        File.WriteAllText(unit, File.ReadAllText(unit).Replace("ProtectSystem=strict", "ProtectSystem=strictest\nProtectSytem=strict", StringComparison.Ordinal));

        var result = await ToolRun.RunAsync(systemdAnalyze, ["verify", $"--root={root}", QueryUnit], TimeSpan.FromMinutes(2));

        Assert.Contains("ProtectSytem", result.Output);
        Assert.Contains("strictest", result.Output);
    }

    [Theory]
    [InlineData(IngestInstance)]
    [InlineData(QueryUnit)]
    public async Task Unit_SecurityReview_ExposureAtMost2(string unit)
    {
        var systemdAnalyze = Tool.Require("systemd-analyze", "systemd");
        var root = await InstallAsync();

        // Exposure runs 0.0 (locked down) … 10.0 (unprotected); the threshold is in tenths.
        var result = await ToolRun.RunAsync(systemdAnalyze, ["security", "--offline=true", $"--root={root}", "--threshold=20", "--no-pager", unit], TimeSpan.FromMinutes(2));

        var overall = result.Output.Split('\n').FirstOrDefault(l => l.Contains("Overall exposure level", StringComparison.Ordinal));
        output.WriteLine(overall ?? result.ToString());
        Assert.True(result.ExitCode == 0, $"systemd-analyze security {unit}: {result}");
        Assert.NotNull(overall);
    }

    [Fact]
    public void IngestUnit_StartsTheIngestWithOptionsItAccepts_StopAndFileLimitsFit()
    {
        var unit = UnitFile.Load(Deploy(IngestUnit));
        var argv = CommandLineOf(unit, Specifiers());

        Assert.Equal($"/usr/local/bin/{Programs.Ingest}", argv[0]);
        Assert.Equal(Programs.Ingest, Programs.AssemblyNameOf(Programs.ProjectOf(Programs.Ingest)));
        var options = Programs.ParseIngest(argv[1..], IngestUnit);
        Assert.True(options.ReusePort, "a rolling replacement needs --reuseport");
        Assert.Equal(9700, Programs.Port(options.Http)); // the instance name

        // SIGTERM: every step of the ingest's stop, as the code bounds them (gateways assumed on:
        // ingest.env says to add --tcp for them); systemd must not SIGKILL during that.
        var stopMs = Seconds(unit.Get("Service", "TimeoutStopSec")) * 1000;
        int budgetMs = IngestHost.StopBudgetMs(options, gateways: true);
        Assert.True(stopMs >= budgetMs + StopMarginMs,
            $"TimeoutStopSec {stopMs} ms leaves the ingest's stop ({budgetMs} ms at most with these options) under {StopMarginMs} ms to exit");
        // The comment above TimeoutStopSec= says the same sum, so an operator reads the real steps.
        var text = File.ReadAllText(Deploy(IngestUnit));
        var said = $"At most {(budgetMs / 1000.0).ToString("0.0", CultureInfo.InvariantCulture)} s in all, so {stopMs / 1000} s leaves {((stopMs - budgetMs) / 1000.0).ToString("0.0", CultureInfo.InvariantCulture)} s";
        Assert.True(text.Contains(said, StringComparison.Ordinal), $"{IngestUnit}: its stop comment does not say \"{said}\"");
        Assert.Equal("SIGTERM", unit.Get("Service", "KillSignal"));

        // A descriptor per gateway connection, plus the store's, HTTP's and the runtime's own.
        var files = long.Parse(unit.Get("Service", "LimitNOFILE"), CultureInfo.InvariantCulture);
        Assert.True(files >= options.TcpMaxConnections + 1024, $"LimitNOFILE {files} does not hold --tcp-max-connections {options.TcpMaxConnections} + 1024");

        // The one capability: what SO_RCVBUFFORCE needs to pass net.core.rmem_max.
        Assert.Equal("CAP_NET_ADMIN", unit.Get("Service", "CapabilityBoundingSet"));
        Assert.Equal("CAP_NET_ADMIN", unit.Get("Service", "AmbientCapabilities"));
        AssertHardened(unit);
    }

    [Fact]
    public void QueryUnit_StartsTheQueryWithOptionsItAccepts()
    {
        var unit = UnitFile.Load(Deploy(QueryUnit));
        var argv = CommandLineOf(unit, Specifiers());

        Assert.Equal($"/usr/local/bin/{Programs.Query}", argv[0]);
        Assert.Equal(Programs.Query, Programs.AssemblyNameOf(Programs.ProjectOf(Programs.Query)));
        var options = Programs.ParseQuery(argv[1..], QueryUnit);
        Assert.True(Programs.Port(options.Http) > 1024, "no capability to bind a port below 1024");
        // In-flight requests get 5 s (QueryApp's HostOptions.ShutdownTimeout).
        Assert.True(Seconds(unit.Get("Service", "TimeoutStopSec")) >= 5 + 2);
        Assert.Equal("", unit.Get("Service", "CapabilityBoundingSet"));
        AssertHardened(unit);
    }

    [Theory]
    [InlineData(IngestUnit, "ingest.env", "/etc/presence/ingest-redis-password")]
    [InlineData(QueryUnit, "query.env", "/etc/presence/query-redis-password")]
    public void Unit_StorePasswordFromACredential_NeverOnTheCommandLine(string name, string environmentFile, string source)
    {
        var unit = UnitFile.Load(Deploy(name));

        // systemd reads the file (as root) and hands it over in the credentials directory, %d ...
        Assert.Equal($"{PasswordCredential}:{source}", unit.Get("Service", "LoadCredential"));
        // ... whose path, not the password, is what the program is given ...
        var exec = unit.Get("Service", "ExecStart");
        Assert.Contains($"--redis-password-file %d/{PasswordCredential}", exec);
        // ... and the options the environment file holds carry no password of their own.
        foreach (var (key, value) in UnitFile.Environment(Deploy(environmentFile)))
        {
            var redis = Programs.ValueOf(value.Split(' ', StringSplitOptions.RemoveEmptyEntries), "--redis");
            Assert.False(redis is not null && Presence.Hosting.RedisSecrets.HasPassword(redis), $"{environmentFile}: {key} puts a password on the command line");
        }
    }

    [Fact]
    public void DeployDoc_InstallsEnvironmentFiles0640RootPresence_PasswordFilesRootOnly()
    {
        // The units' environment files and password files as DEPLOY.md installs them.
        var installs = Repository.Read("docs", "DEPLOY.md").Split('\n')
            .Select(l => l.Trim())
            .Where(l => l.StartsWith("install ", StringComparison.Ordinal) && l.Contains("/etc/presence/", StringComparison.Ordinal))
            .ToList();

        foreach (var env in new[] { "ingest.env", "query.env" })
        {
            var line = Assert.Single(installs, l => l.EndsWith("/etc/presence/" + env, StringComparison.Ordinal));
            Assert.Contains("-m 0640 -o root -g presence ", line);
        }
        foreach (var source in new[] { IngestUnit, QueryUnit }.Select(u => UnitFile.Load(Deploy(u)).Get("Service", "LoadCredential").Split(':', 2)[1]))
        {
            var line = Assert.Single(installs, l => l.EndsWith(source, StringComparison.Ordinal));
            Assert.Contains("-m 0600 -o root -g root ", line);
        }
    }

    [Fact]
    public void Units_IngestAndQuery_ReadTheSameStoreByDefault()
    {
        var ingest = Programs.ParseIngest(CommandLineOf(UnitFile.Load(Deploy(IngestUnit)), Specifiers())[1..], IngestUnit);
        var query = Programs.ParseQuery(CommandLineOf(UnitFile.Load(Deploy(QueryUnit)), Specifiers())[1..], QueryUnit);

        Assert.NotNull(ingest.Redis);
        Assert.Equal(ingest.Redis, query.Redis);
        Assert.Equal(ingest.Prefix, query.Prefix);
    }

    [Fact]
    public void Sysusers_CreatesTheUserTheUnitsRunAs()
    {
        var line = File.ReadAllLines(Deploy("presence.sysusers.conf")).Single(l => l.StartsWith("u ", StringComparison.Ordinal));
        var user = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];

        foreach (var name in new[] { IngestUnit, QueryUnit })
        {
            var unit = UnitFile.Load(Deploy(name));
            Assert.Equal(user, unit.Get("Service", "User"));
            Assert.NotEqual("root", user);
        }
    }

    private static List<string> CommandLineOf(UnitFile unit, IReadOnlyDictionary<string, string> specifiers)
    {
        var variables = new Dictionary<string, string>();
        foreach (var file in unit.All("Service", "EnvironmentFile"))
        {
            // "-/etc/presence/ingest-%i.env": optional, not shipped.
            if (file.StartsWith('-'))
                continue;
            foreach (var (key, value) in UnitFile.Environment(Deploy(Path.GetFileName(file).Replace("%i", "9700", StringComparison.Ordinal))))
                variables[key] = value;
        }
        var exec = unit.All("Service", "ExecStart");
        Assert.Single(exec);
        return UnitFile.CommandLine(exec[0], specifiers, variables);
    }

    private static void AssertHardened(UnitFile unit)
    {
        Assert.Equal("yes", unit.Get("Service", "NoNewPrivileges"));
        Assert.Equal("strict", unit.Get("Service", "ProtectSystem"));
        Assert.Equal("yes", unit.Get("Service", "ProtectHome"));
        Assert.Equal("yes", unit.Get("Service", "PrivateTmp"));
        Assert.Equal("on-failure", unit.Get("Service", "Restart"));
        Assert.NotEqual("root", unit.Get("Service", "User"));
        // The single-file executable unpacks native libraries; under ProtectSystem=strict only
        // the unit's own CacheDirectory is writable for it.
        var cache = unit.Get("Service", "CacheDirectory");
        Assert.Contains($"DOTNET_BUNDLE_EXTRACT_BASE_DIR=%C/{cache}", unit.All("Service", "Environment"));
    }

    /// <summary>What the unit's stop timeout must leave after the ingest's longest stop: the runtime's exit.</summary>
    private const int StopMarginMs = 2000;

    private static int Seconds(string value) =>
        int.Parse(value.EndsWith('s') ? value[..^1] : value, CultureInfo.InvariantCulture);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
