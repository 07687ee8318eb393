using System.Text.Json;
using Presence.LoadGen;

namespace Presence.Integration.Tests.LoadGen;

/// <summary>Runs <c>presence-loadgen</c> in this process through its command line, capturing both streams.</summary>
internal static class LoadGenProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        /// <summary>The --json summary (the whole of stdout must be that one object).</summary>
        public JsonElement Summary => JsonDocument.Parse(Stdout).RootElement;

        public long Long(string name) => Summary.GetProperty(name).GetInt64();
    }

    public static async Task<Result> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await LoadGenCli.RunAsync(args, stdout, stderr, terminal: false, CancellationToken.None);
        return new Result(code, stdout.ToString(), stderr.ToString());
    }
}
