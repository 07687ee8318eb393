using System.Text.RegularExpressions;
using Presence.Ingest;
using Presence.Query;

namespace Presence.Integration.Tests.Deploy;

/// <summary>
/// The programs the deployment files start, and their command lines read the way the programs
/// read them, so a unit file or image that names an option the program lacks (or a bad value)
/// fails here rather than at the operator's first start.
/// </summary>
internal static partial class Programs
{
    public const string Ingest = "presence-ingest";
    public const string Query = "presence-query";
    public const string LoadGen = "presence-loadgen";

    public static readonly string[] All = [Ingest, Query, LoadGen];

    /// <summary>The project that builds <paramref name="program"/>, as scripts/publish.sh names it.</summary>
    public static string ProjectOf(string program)
    {
        var script = Repository.Read("scripts", "publish.sh");
        var match = Regex.Match(script, $@"\[{Regex.Escape(program)}\]=(\S+)");
        Assert.True(match.Success, $"scripts/publish.sh names no project for {program}");
        return match.Groups[1].Value;
    }

    /// <summary>The AssemblyName of a project: the name of the executable it publishes.</summary>
    public static string AssemblyNameOf(string project)
    {
        var match = AssemblyName().Match(Repository.Read(project));
        Assert.True(match.Success, $"{project} sets no AssemblyName");
        return match.Groups[1].Value;
    }

    /// <summary>presence-ingest's options from <paramref name="args"/>, through its own command-line parser; fails naming the reason.</summary>
    public static IngestOptions ParseIngest(IReadOnlyList<string> args, string where)
    {
        var stderr = new StringWriter();
        var options = IngestCommandLine.Parse([.. args], TextWriter.Null, stderr, out int exit);
        Assert.True(options is not null && exit == 0, $"{where}: presence-ingest refuses [{string.Join(' ', args)}]: {stderr}");
        return options!;
    }

    /// <summary>presence-query's options from <paramref name="args"/>, through its own command-line parser.</summary>
    public static QueryOptions ParseQuery(IReadOnlyList<string> args, string where)
    {
        var stderr = new StringWriter();
        var options = QueryCommandLine.Parse([.. args], TextWriter.Null, stderr, out int exit);
        Assert.True(options is not null && exit == 0, $"{where}: presence-query refuses [{string.Join(' ', args)}]: {stderr}");
        return options!;
    }

    /// <summary>Parses <paramref name="args"/> as <paramref name="program"/>'s and returns the ports it listens on, by protocol.</summary>
    public static Listeners ListenersOf(string program, IReadOnlyList<string> args, string where)
    {
        switch (program)
        {
            case Ingest:
            {
                var o = ParseIngest(args, where);
                var tcp = new List<int> { Port(o.Http) };
                if (o.Tcp is not null)
                    tcp.Add(Port(o.Tcp));
                return new Listeners([Port(o.Udp)], tcp);
            }
            case Query:
                return new Listeners([], [Port(ParseQuery(args, where).Http)]);
            default:
                Assert.Fail($"{where}: {program} is not a service");
                return null!;
        }
    }

    /// <summary>The port of a HOST:PORT option value.</summary>
    public static int Port(string hostPort) => int.Parse(hostPort[(hostPort.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The value of <paramref name="option"/> in <paramref name="args"/>, or null.</summary>
    public static string? ValueOf(IReadOnlyList<string> args, string option)
    {
        for (int i = 0; i + 1 < args.Count; i++)
        {
            if (args[i] == option)
                return args[i + 1];
        }
        return null;
    }

    [GeneratedRegex(@"<AssemblyName>([^<]+)</AssemblyName>")]
    private static partial Regex AssemblyName();
}

/// <summary>Ports a service listens on.</summary>
internal sealed record Listeners(IReadOnlyList<int> Udp, IReadOnlyList<int> Tcp);
