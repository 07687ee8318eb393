using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Presence.Integration.Tests.Deploy;

/// <summary>
/// Dockerfile and compose.yaml cannot be built here (no container engine or registry), so this
/// checks what they name against the code: the projects and programs they build, the options
/// they pass (parsed by the programs' own parsers), the ports those options open against EXPOSE
/// and the published ports, the user, and the limits the programs need.
/// </summary>
public sealed class ContainerFilesTests
{
    private static readonly Dockerfile s_dockerfile = Dockerfile.Load(Repository.PathOf("Dockerfile"));

    [Fact]
    public void Dockerfile_Stages_OnOfficialDotNetImages_OfTheSdkVersion()
    {
        var sdkMajor = JsonDocument.Parse(Repository.Read("global.json")).RootElement.GetProperty("sdk").GetProperty("version").GetString()!.Split('.')[0];

        foreach (var stage in s_dockerfile.Stages)
        {
            if (s_dockerfile.Stages.Any(s => s.Name == stage.Base))
                continue;
            Assert.Matches($"^mcr\\.microsoft\\.com/dotnet/(sdk|runtime-deps|runtime|aspnet):{sdkMajor}\\.0", stage.Base);
        }
        Assert.Contains(s_dockerfile.Stages, s => s.Base.StartsWith("mcr.microsoft.com/dotnet/sdk:", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ingest", Programs.Ingest)]
    [InlineData("query", Programs.Query)]
    public void Dockerfile_Target_RunsItsProgram_AsNonRoot_OnTheExposedPorts(string target, string program)
    {
        var chain = s_dockerfile.Chain(target);

        // The program: published by scripts/publish.sh from a project that exists and names it.
        var publish = chain.SelectMany(s => s.All("RUN")).Concat(s_dockerfile.Stages.SelectMany(s => s.All("RUN")))
            .First(r => r.Contains("scripts/publish.sh", StringComparison.Ordinal));
        Assert.Contains($"--only {program}", publish);
        var project = Programs.ProjectOf(program);
        Assert.True(File.Exists(Repository.PathOf(project)), $"{project} does not exist");
        Assert.Equal(program, Programs.AssemblyNameOf(project));
        foreach (var only in Regex.Matches(publish, @"--only (\S+)").Select(m => m.Groups[1].Value))
            Assert.Contains(only, Programs.All);

        var entrypoint = Exec(chain, "ENTRYPOINT");
        Assert.Equal([$"/usr/local/bin/{program}"], entrypoint);
        var copy = chain.SelectMany(s => s.All("COPY")).Single(c => c.StartsWith("--from=build ", StringComparison.Ordinal)).Split(' ');
        Assert.EndsWith($"/{program}", copy[1]);
        Assert.Equal(entrypoint[0], copy[2]);

        // Not root: the official images' unprivileged user.
        var user = chain.SelectMany(s => s.All("USER")).Last();
        Assert.Contains(user, new[] { "$APP_UID", "${APP_UID}", "app", "1654" });

        // CMD: options the program accepts; every port they open is exposed, and nothing else.
        var command = Exec(chain, "CMD");
        var listeners = Programs.ListenersOf(program, command, $"Dockerfile target {target}");
        var exposed = chain.SelectMany(s => s.All("EXPOSE")).SelectMany(e => e.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var expected = listeners.Udp.Select(p => $"{p}/udp").Concat(listeners.Tcp.Select(p => $"{p}/tcp")).Order();
        Assert.Equal(expected, exposed.Select(e => e.Contains('/') ? e : e + "/tcp").Order());
        // Reachable from outside the container: not loopback.
        Assert.DoesNotContain("127.0.0.1", string.Join(' ', command));

        // The single-file executable unpacks native libraries: somewhere writable (compose: tmpfs).
        Assert.Contains(chain.SelectMany(s => s.All("ENV")), e => e.StartsWith("DOTNET_BUNDLE_EXTRACT_BASE_DIR=/tmp/", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("ingest")]
    [InlineData("query")]
    public void Compose_Service_BuildsADockerfileTarget_WithOptionsAndPortsThatMatch(string service)
    {
        var services = Yaml.Load(Repository.PathOf("compose.yaml")).Map("services");
        var spec = services.Map(service);
        var build = spec.Map("build");
        Assert.Equal(".", build.Text("context"));
        var target = build.Text("target")!;
        var program = Path.GetFileName(Exec(s_dockerfile.Chain(target), "ENTRYPOINT")[0]);

        var command = spec.Strings("command");
        var listeners = Programs.ListenersOf(program, command, $"compose.yaml service {service}");

        // The store: a service of this file, on the port its server listens on.
        var redis = Programs.ValueOf(command, "--redis");
        Assert.NotNull(redis);
        var (host, port) = (redis![..redis.LastIndexOf(':')], Programs.Port(redis));
        var store = services.Map(host);
        Assert.StartsWith("redis:", store.Text("image"));
        Assert.Equal(Programs.ValueOf(store.Strings("command"), "--port") ?? "6379", port.ToString(CultureInfo.InvariantCulture));

        // Published ports lead to listeners; every UDP listener (heartbeats) is published.
        var published = spec.Strings("ports").Select(ContainerPort).ToList();
        foreach (var (containerPort, protocol) in published)
            Assert.Contains(containerPort, protocol == "udp" ? listeners.Udp : listeners.Tcp);
        foreach (var udp in listeners.Udp)
            Assert.Contains((udp, "udp"), published);

        // A read-only root needs /tmp writable for the unpacked native libraries.
        if (spec.Text("read_only") == "true")
            Assert.Contains("/tmp", spec.Strings("tmpfs"));
        Assert.True(spec.Text("user") is null or not ("root" or "0"), "runs as root");
        var grace = Seconds(spec.Text("stop_grace_period") ?? "10s");
        if (program == Programs.Ingest)
        {
            var options = Programs.ParseIngest(command, "compose.yaml ingest");
            // Every step of the ingest's stop as the code bounds them (IngestHost.StopBudgetMs), and 2 s to exit.
            int budgetMs = Presence.Ingest.IngestHost.StopBudgetMs(options, gateways: options.Tcp is not null);
            Assert.True(grace * 1000 >= budgetMs + 2000, $"stop_grace_period {grace} s cuts the ingest's SIGTERM stop ({budgetMs} ms at most)");
            var files = long.Parse(((YamlScalarNode)spec.Map("ulimits").Get("nofile")!).Value!, CultureInfo.InvariantCulture);
            Assert.True(files >= options.TcpMaxConnections + 1024, $"ulimits nofile {files} does not hold --tcp-max-connections {options.TcpMaxConnections}");
        }
        else
        {
            Assert.True(grace >= 5 + 2, "in-flight requests get 5 s");
        }
    }

    [Fact]
    public void DockerIgnore_KeepsBuildOutputOutOfTheContext()
    {
        var ignored = File.ReadAllLines(Repository.PathOf(".dockerignore")).Select(l => l.Trim()).ToList();

        Assert.Contains("**/bin/", ignored);
        Assert.Contains("**/obj/", ignored);
    }

    /// <summary>The container side of a compose port mapping ("127.0.0.1:9700:9700", "7700:7700/udp").</summary>
    private static (int Port, string Protocol) ContainerPort(string mapping)
    {
        var protocol = mapping.Contains('/') ? mapping[(mapping.IndexOf('/') + 1)..] : "tcp";
        var ports = mapping.Split('/')[0];
        return (int.Parse(ports[(ports.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture), protocol);
    }

    /// <summary>The exec (JSON) form of the last ENTRYPOINT or CMD along a stage chain.</summary>
    private static List<string> Exec(IEnumerable<Dockerfile.Stage> chain, string instruction)
    {
        var value = chain.SelectMany(s => s.All(instruction)).Last();
        Assert.StartsWith("[", value);
        return JsonSerializer.Deserialize<List<string>>(value)!;
    }

    private static int Seconds(string value) =>
        int.Parse(value.EndsWith('s') ? value[..^1] : value, CultureInfo.InvariantCulture);
}

/// <summary>A Dockerfile's stages and their instructions (continuation lines joined, comments dropped).</summary>
internal sealed class Dockerfile
{
    public sealed record Stage(string Name, string Base, List<(string Instruction, string Arguments)> Lines)
    {
        public IEnumerable<string> All(string instruction) =>
            Lines.Where(l => l.Instruction == instruction).Select(l => l.Arguments);
    }

    public List<Stage> Stages { get; } = [];

    public static Dockerfile Load(string path)
    {
        var file = new Dockerfile();
        var logical = new List<string>();
        string pending = "";
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || (line.Length == 0 && pending.Length == 0))
                continue;
            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }
            logical.Add(pending + line);
            pending = "";
        }
        foreach (var line in logical)
        {
            if (line.Length == 0)
                continue;
            int space = line.IndexOf(' ');
            var instruction = line[..space].ToUpperInvariant();
            var arguments = line[(space + 1)..].Trim();
            if (instruction == "FROM")
            {
                var parts = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                Assert.True(parts.Length == 3 && parts[1].Equals("AS", StringComparison.OrdinalIgnoreCase), $"Dockerfile: every stage is named: FROM {arguments}");
                file.Stages.Add(new Stage(parts[2], parts[0], []));
            }
            else if (file.Stages.Count > 0)
            {
                file.Stages[^1].Lines.Add((instruction, arguments));
            }
        }
        return file;
    }

    /// <summary>The stage named <paramref name="target"/> and those it is built on, base first.</summary>
    public List<Stage> Chain(string target)
    {
        var chain = new List<Stage>();
        for (var stage = Stages.SingleOrDefault(s => s.Name == target); stage is not null; stage = Stages.SingleOrDefault(s => s.Name == stage.Base))
            chain.Insert(0, stage);
        Assert.True(chain.Count > 0, $"Dockerfile has no stage '{target}'");
        return chain;
    }
}
