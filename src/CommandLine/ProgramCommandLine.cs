using System.Reflection;
using CommandLine;
using CommandLine.Text;

namespace Presence.CommandLine;

/// <summary>
/// One program's command line, read the same way by every Presence program: <c>--help</c> prints
/// every option with its default on stdout and exits 0; a bad option or value prints one line,
/// <c>PROGRAM: REASON (see --help)</c>, on stderr and exits 2.
/// </summary>
/// <param name="name">The program's name, first word of every error line and of the help.</param>
/// <param name="heading">The help's first line (starts with <paramref name="name"/>).</param>
/// <param name="caseInsensitiveEnumValues">Whether enum option values may be given in any case.</param>
/// <param name="usage">Lines printed between the heading and the options.</param>
public sealed class ProgramCommandLine(string name, string heading, bool caseInsensitiveEnumValues, params string[] usage)
{
    public const int ExitOk = 0;
    public const int ExitUsage = 2;

    public string Name { get; } = name;

    /// <summary>
    /// The options of <paramref name="args"/>, validated by <paramref name="validate"/> (a reason, or
    /// null when they are good), when the program should run; otherwise null and the exit code.
    /// </summary>
    public T? Parse<T>(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, Func<T, string?> validate, out int exitCode)
        where T : class
    {
        if (Shape(args, typeof(T)) is { } shapeError)
        {
            exitCode = Usage(stderr, shapeError);
            return null;
        }
        using var parser = NewParser();
        var result = parser.ParseArguments<T>(args);
        if (result is NotParsed<T> notParsed)
        {
            var errors = notParsed.Errors.ToList();
            if (errors.Any(e => e.Tag == ErrorType.HelpRequestedError))
            {
                stdout.WriteLine(Help(result));
                exitCode = ExitOk;
            }
            else
            {
                exitCode = Usage(stderr, Describe(errors[0], args));
            }
            return null;
        }
        var options = ((Parsed<T>)result).Value;
        if (validate(options) is { } problem)
        {
            exitCode = Usage(stderr, problem);
            return null;
        }
        exitCode = ExitOk;
        return options;
    }

    /// <summary>The parser every program uses: help and errors are written here, in our words.</summary>
    public Parser NewParser() => new(settings =>
    {
        settings.HelpWriter = null;
        settings.CaseSensitive = true;
        settings.CaseInsensitiveEnumValues = caseInsensitiveEnumValues;
        settings.AutoVersion = false;
    });

    /// <summary>Writes the one line of a bad command line on <paramref name="stderr"/>; returns <see cref="ExitUsage"/>.</summary>
    public int Usage(TextWriter stderr, string reason)
    {
        stderr.WriteLine($"{Name}: {reason} (see --help)");
        return ExitUsage;
    }

    /// <summary>The help: heading, usage lines, <paramref name="more"/> lines, then every option with its default.</summary>
    public string Help<T>(ParserResult<T> result, params string[] more) => HelpText.AutoBuild(result, help =>
    {
        help.Heading = heading;
        help.Copyright = "";
        help.AutoVersion = false;
        help.AddDashesToOption = true;
        help.AdditionalNewLineAfterOption = false;
        help.MaximumDisplayWidth = 110;
        foreach (var line in usage.Concat(more))
            help.AddPreOptionsLine(line);
        return help;
    }, example => example, verbsIndex: false);

    /// <summary>The parser's error in the words every program uses.</summary>
    public static string Describe(Error error, IReadOnlyList<string> args) => error switch
    {
        UnknownOptionError unknown => $"unknown option '--{unknown.Token}'",
        MissingValueOptionError missing => $"--{missing.NameInfo.LongName} needs a value",
        BadFormatConversionError bad => $"--{bad.NameInfo.LongName}: '{ValueOf(args, "--" + bad.NameInfo.LongName)}' is not a valid value",
        RepeatedOptionError repeated => $"--{repeated.NameInfo.LongName} given twice",
        BadFormatTokenError token => $"unexpected argument '{token.Token}'",
        _ => SentenceBuilder.Create().FormatError(error),
    };

    /// <summary>
    /// What CommandLineParser 2.9.1 lets pass silently: a value option given without its value, last
    /// or followed by another option ("--users --json" runs with the default users:
    /// commandlineparser/commandline#861), and, for options that take no positional values, stray words.
    /// </summary>
    public static string? Shape(IReadOnlyList<string> args, Type optionsType)
    {
        var properties = optionsType.GetProperties();
        var valueOptions = properties
            .Select(p => (Property: p, Option: p.GetCustomAttribute<OptionAttribute>()))
            .Where(x => x.Option is not null && x.Property.PropertyType != typeof(bool) && x.Property.PropertyType != typeof(bool?))
            .Select(x => x.Option!.LongName)
            .ToHashSet(StringComparer.Ordinal);
        bool positional = properties.Any(p => p.GetCustomAttribute<ValueAttribute>() is not null);
        for (int i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (!positional)
                    return $"unexpected argument '{arg}'";
                continue;
            }
            if (arg.Contains('=', StringComparison.Ordinal) || !valueOptions.Contains(arg[2..]))
                continue;
            if (i + 1 == args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                return $"{arg} needs a value";
            i++; // the value, whatever it looks like ("-1" included); the parser judges it
        }
        return null;
    }

    /// <summary>The value given to <paramref name="option"/> (either form), or "".</summary>
    private static string ValueOf(IReadOnlyList<string> args, string option)
    {
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i].StartsWith(option + "=", StringComparison.Ordinal))
                return args[i][(option.Length + 1)..];
            if (args[i] == option)
                return i + 1 < args.Count ? args[i + 1] : "";
        }
        return "";
    }
}
