using CommandLine;
using Presence.CommandLine;
using Presence.Core;
using Presence.LoadGen.Internal;

namespace Presence.LoadGen;

/// <summary>
/// The command line: parses, validates with a one-line reason, and dispatches to a run or to the
/// <c>keys</c> chores. Exit codes: 0 done, 1 a failed verification or a fault, 2 a bad command line.
/// </summary>
internal static class LoadGenCli
{
    public const int ExitOk = ProgramCommandLine.ExitOk;
    public const int ExitFailed = 1;
    public const int ExitUsage = ProgramCommandLine.ExitUsage;

    private const string Name = "presence-loadgen";

    private static readonly ProgramCommandLine s_front = new(
        Name,
        $"{Name}: simulated Presence clients (UDP heartbeats), optionally verified through the query service.",
        caseInsensitiveEnumValues: true,
        "Usage: presence-loadgen [run] [OPTIONS]",
        "       presence-loadgen keys new --out FILE [--key-id ID]",
        "       presence-loadgen keys derive --keys FILE --user ID [--key-id ID]",
        "Exit codes: 0 done, 1 verification failed or a fault, 2 bad command line.",
        "");

    /// <param name="terminal">Whether stderr is a terminal: progress is then one line rewritten in place.</param>
    /// <param name="stop">SIGINT/SIGTERM: stops sending; the summary (and verification) still follow.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, bool terminal, CancellationToken stop)
    {
        bool keysVerb = args.Length > 0 && args[0] == "keys";
        if (ProgramCommandLine.Shape(args, keysVerb ? typeof(KeysOptions) : typeof(LoadGenOptions)) is { } missing)
            return Usage(stderr, missing);

        using var parser = s_front.NewParser();
        var result = parser.ParseArguments<LoadGenOptions, KeysOptions>(args);
        if (result is NotParsed<object> notParsed)
            return ParseFailed(parser, notParsed, args, stdout, stderr);

        try
        {
            return result.Value switch
            {
                KeysOptions keys => Keys(keys, stdout, stderr),
                LoadGenOptions options => await Run(options, stdout, stderr, terminal, stop),
                _ => throw new InvalidOperationException("unknown verb"),
            };
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"{Name}: {e.Message}");
            return ExitFailed;
        }
    }

    private static async Task<int> Run(LoadGenOptions options, TextWriter stdout, TextWriter stderr, bool terminal, CancellationToken stop)
    {
        if (options.Validate() is { } problem)
            return Usage(stderr, problem);
        MasterKeyRing? ring = null;
        byte keyId = 0;
        if (options.Keys is not null)
        {
            if (!KeyFiles.TryLoad(options.Keys, out ring, out var error) || !KeyFiles.TryChooseKeyId(ring, options.KeyId, out keyId, out error))
                return Usage(stderr, error);
        }
        return await new LoadRunner(options, ring, keyId, stdout, stderr, terminal).RunAsync(stop);
    }

    private static int Keys(KeysOptions options, TextWriter stdout, TextWriter stderr)
    {
        if (options.Validate() is { } problem)
            return Usage(stderr, problem);
        if (options.Action == KeysOptions.New)
        {
            if (File.Exists(options.Out))
            {
                stderr.WriteLine($"{Name}: keys new: {options.Out} exists; it is not overwritten");
                return ExitFailed;
            }
            byte id = (byte)(options.KeyId ?? KeysOptions.DefaultNewKeyId);
            KeyFiles.WriteNew(options.Out!, id);
            stderr.WriteLine($"wrote {options.Out} (key id {id}, mode 0600)");
            return ExitOk;
        }
        if (!KeyFiles.TryLoad(options.Keys!, out var ring, out var error) || !KeyFiles.TryChooseKeyId(ring, options.KeyId, out byte keyId, out error))
            return Usage(stderr, error);
        stdout.WriteLine(KeyFiles.DeriveHex(ring, keyId, options.User!.Value));
        return ExitOk;
    }

    private static int ParseFailed(Parser parser, NotParsed<object> result, string[] args, TextWriter stdout, TextWriter stderr)
    {
        var errors = result.Errors.ToList();
        if (errors.OfType<HelpVerbRequestedError>().FirstOrDefault() is { } verbHelp)
        {
            // "--help" or "help" with no verb, or "help keys": help for the verb asked, else the default verb's.
            stdout.WriteLine(verbHelp.Matched && verbHelp.Type == typeof(KeysOptions)
                ? Help(parser.ParseArguments<KeysOptions>(["--help"]))
                : Help(parser.ParseArguments<LoadGenOptions>(["--help"])));
            return ExitOk;
        }
        if (errors.Any(e => e is HelpRequestedError))
        {
            stdout.WriteLine(Help(result));
            return ExitOk;
        }
        return Usage(stderr, Describe(errors[0], args));
    }

    /// <summary>The parser's error in the words of every program; a verb with no action in this program's.</summary>
    private static string Describe(Error error, string[] args) =>
        error is MissingRequiredOptionError missing && missing.NameInfo.Equals(NameInfo.EmptyName)
            ? "keys needs an action: 'keys new' or 'keys derive'"
            : ProgramCommandLine.Describe(error, args);

    private static int Usage(TextWriter stderr, string problem) => s_front.Usage(stderr, problem);

    private static string Help<T>(ParserResult<T> result) =>
        s_front.Help(result, typeof(T) == typeof(KeysOptions) ? "keys options:" : "run options (the default verb):");
}
