using Presence.CommandLine;

namespace Presence.Query;

/// <summary>
/// Turns the command line into <see cref="QueryOptions"/> through the programs' one front end
/// (<see cref="ProgramCommandLine"/>): <c>--help</c> prints every option with its default and exits
/// 0; a bad option or value prints one line on stderr and exits 2.
/// </summary>
public static class QueryCommandLine
{
    public const int ExitOk = ProgramCommandLine.ExitOk;
    public const int ExitUsage = ProgramCommandLine.ExitUsage;

    private static readonly ProgramCommandLine s_front = new(
        "presence-query",
        "presence-query: answers \"is this user online?\" over HTTP from the presence store",
        caseInsensitiveEnumValues: false);

    /// <summary>The options when the program should run; otherwise null and the exit code.</summary>
    public static QueryOptions? Parse(string[] args, TextWriter stdout, TextWriter stderr, out int exitCode) =>
        s_front.Parse<QueryOptions>(args, stdout, stderr, o => o.Validate(), out exitCode);
}
