using CommandLine;
using CommandLine.Text;

namespace Presence.Bench.Faults.Run;

/// <summary>
/// presence-faults' command line: <c>--help</c> prints every option and exits 0; a bad option or
/// value prints one line on stderr and exits 2. <c>check FILE</c> re-judges a saved history.
/// </summary>
internal static class FaultsCommandLine
{
    public const int ExitUsage = 2;

    /// <summary>The options when the run should start; otherwise null and the exit code.</summary>
    public static FaultsOptions? Parse(string[] args, out int exitCode)
    {
        for (int i = 0; i < args.Length; i++)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal))
                return Fail($"unexpected '{args[i]}'", out exitCode);
            if (args[i] is "--seed" or "--duration" or "--history" or "--users" or "--subscribers" or "--background")
            {
                if (i + 1 == args.Length)
                    return Fail($"{args[i]} needs a value", out exitCode);
                i++;
            }
        }
        using var parser = new Parser(s =>
        {
            s.HelpWriter = null;
            s.CaseSensitive = true;
            s.AutoVersion = false;
        });
        var result = parser.ParseArguments<FaultsOptions>(args);
        if (result is Parsed<FaultsOptions> parsed)
        {
            var problem = parsed.Value.Validate();
            if (problem is not null)
                return Fail(problem, out exitCode);
            exitCode = 0;
            return parsed.Value;
        }
        var errors = ((NotParsed<FaultsOptions>)result).Errors.ToList();
        if (errors.Any(e => e.Tag == ErrorType.HelpRequestedError))
        {
            Console.WriteLine(HelpText.AutoBuild(result, h =>
            {
                h.Heading = "presence-faults: the whole system under a seeded schedule of faults, its history judged (docs/FAULTS.md)";
                h.Copyright = "usage: presence-faults [--quick] [--seed N] [--duration S] [--cluster] [--history FILE]\n       presence-faults check FILE";
                h.AddDashesToOption = true;
                h.AutoVersion = false;
                return h;
            }, e => e));
            exitCode = 0;
            return null;
        }
        return Fail(Describe(errors[0]), out exitCode);
    }

    private static FaultsOptions? Fail(string reason, out int exitCode)
    {
        Console.Error.WriteLine($"presence-faults: {reason} (see --help)");
        exitCode = ExitUsage;
        return null;
    }

    private static string Describe(Error error) => error switch
    {
        UnknownOptionError u => $"unknown option --{u.Token}",
        MissingValueOptionError m => $"--{m.NameInfo.LongName} needs a value",
        BadFormatConversionError b => $"--{b.NameInfo.LongName} has a value of the wrong type",
        RepeatedOptionError r => $"--{r.NameInfo.LongName} given twice",
        _ => error.Tag.ToString(),
    };
}
