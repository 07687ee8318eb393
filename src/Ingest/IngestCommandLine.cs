using Presence.CommandLine;

namespace Presence.Ingest;

/// <summary>
/// Turns the command line into <see cref="IngestOptions"/> through the programs' one front end
/// (<see cref="ProgramCommandLine"/>): <c>--help</c> prints every option with its default and exits
/// 0; a bad option or value prints one line on stderr and exits 2.
/// </summary>
public static class IngestCommandLine
{
    public const int ExitOk = ProgramCommandLine.ExitOk;
    public const int ExitUsage = ProgramCommandLine.ExitUsage;

    private static readonly ProgramCommandLine s_front = new(
        "presence-ingest",
        "presence-ingest: receives UDP heartbeats and keeps one Redis key per online user.",
        caseInsensitiveEnumValues: true,
        "Usage: presence-ingest [--udp HOST:PORT] [--redis CONFIG] [--ttl SECONDS] [--flush-ms MS] ...");

    /// <summary>The options when the program should run; otherwise null and the exit code.</summary>
    public static IngestOptions? Parse(string[] args, TextWriter stdout, TextWriter stderr, out int exitCode) =>
        s_front.Parse<IngestOptions>(args, stdout, stderr, o => o.Validate(), out exitCode);
}
