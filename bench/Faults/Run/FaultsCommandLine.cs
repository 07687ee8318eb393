using Presence.CommandLine;

namespace Presence.Bench.Faults.Run;

/// <summary>
/// presence-faults' command line, through the programs' one front end (<see cref="ProgramCommandLine"/>):
/// <c>--help</c> prints every option and exits 0; a bad option or value prints one line on stderr
/// and exits 2. <c>check FILE</c> re-judges a saved history.
/// </summary>
internal static class FaultsCommandLine
{
    public const int ExitUsage = ProgramCommandLine.ExitUsage;

    private static readonly ProgramCommandLine s_front = new(
        "presence-faults",
        "presence-faults: the whole system under a seeded schedule of faults, its history judged (docs/FAULTS.md)",
        caseInsensitiveEnumValues: false,
        "usage: presence-faults [--quick] [--seed N] [--duration S] [--cluster] [--history FILE]",
        "       presence-faults check FILE");

    /// <summary>The options when the run should start; otherwise null and the exit code.</summary>
    public static FaultsOptions? Parse(string[] args, out int exitCode) =>
        s_front.Parse<FaultsOptions>(args, Console.Out, Console.Error, o => o.Validate(), out exitCode);

    /// <summary>Writes the one line of a bad command line; returns <see cref="ExitUsage"/>.</summary>
    public static int Usage(string reason) => s_front.Usage(Console.Error, reason);
}
