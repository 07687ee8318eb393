using CommandLine;
using CommandLine.Text;

namespace Presence.Query;

/// <summary>
/// Turns the command line into <see cref="QueryOptions"/>: <c>--help</c> prints every option with
/// its default and exits 0; a bad option or value prints one line on stderr and exits 2.
/// </summary>
public static class QueryCommandLine
{
    public const int ExitOk = 0;
    public const int ExitUsage = 2;

    /// <summary>The options when the program should run; otherwise null and the exit code.</summary>
    public static QueryOptions? Parse(string[] args, TextWriter stdout, TextWriter stderr, out int exitCode)
    {
        if (Shape(args) is { } shapeError)
            return Fail(stderr, shapeError, out exitCode);
        using var parser = new Parser(settings =>
        {
            settings.HelpWriter = null; // help and errors are written below, in our words
            settings.CaseSensitive = true;
            settings.CaseInsensitiveEnumValues = false;
            settings.AutoVersion = false;
        });
        var result = parser.ParseArguments<QueryOptions>(args);
        if (result is Parsed<QueryOptions> parsed)
        {
            var problem = parsed.Value.Validate();
            if (problem is null)
            {
                exitCode = ExitOk;
                return parsed.Value;
            }
            return Fail(stderr, problem, out exitCode);
        }

        var errors = ((NotParsed<QueryOptions>)result).Errors.ToList();
        if (errors.Any(e => e.Tag == ErrorType.HelpRequestedError))
        {
            stdout.WriteLine(Help(result));
            exitCode = ExitOk;
            return null;
        }
        return Fail(stderr, Describe(errors[0]), out exitCode);
    }

    /// <summary>
    /// What the parser lets pass silently: an option given last without its value, and stray words
    /// (every option of presence-query but --help takes a value).
    /// </summary>
    private static string? Shape(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg is "--help" or "--version")
                continue;
            if (!arg.StartsWith("--", StringComparison.Ordinal))
                return $"unexpected '{arg}'";
            if (arg.Contains('=', StringComparison.Ordinal))
                continue;
            if (i + 1 == args.Length)
                return $"{arg} needs a value";
            i++; // the value, whatever it looks like ("-1" included); the parser judges it
        }
        return null;
    }

    private static QueryOptions? Fail(TextWriter stderr, string reason, out int exitCode)
    {
        stderr.WriteLine($"presence-query: {reason} (see --help)");
        exitCode = ExitUsage;
        return null;
    }

    private static string Help(ParserResult<QueryOptions> result) => HelpText.AutoBuild(result, help =>
    {
        help.Heading = "presence-query: answers \"is this user online?\" over HTTP from the presence store";
        help.Copyright = "";
        help.AddDashesToOption = true;
        help.AdditionalNewLineAfterOption = false;
        help.AutoVersion = false;
        help.MaximumDisplayWidth = 110;
        return help;
    }, example => example);

    private static string Describe(Error error) => error switch
    {
        UnknownOptionError unknown => $"unknown option '{unknown.Token}'",
        MissingValueOptionError missing => $"--{missing.NameInfo.LongName} needs a value",
        BadFormatConversionError bad => $"--{bad.NameInfo.LongName}: not a valid value",
        RepeatedOptionError repeated => $"--{repeated.NameInfo.LongName} given more than once",
        BadFormatTokenError token => $"unexpected '{token.Token}'",
        _ => $"bad command line ({error.Tag})",
    };
}
