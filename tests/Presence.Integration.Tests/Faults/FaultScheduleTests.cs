using System.Diagnostics;
using System.Text;
using Presence.Integration.Tests.Deploy;
using Presence.Testing;
using Xunit.Abstractions;

namespace Presence.Integration.Tests.Faults;

/// <summary>
/// The fault-schedule run of issue 19 (docs/FAULTS.md) in its quick form: the built presence-faults
/// starts its own redis-server, ingesters, query nodes and subscribers, injects one fault of each
/// kind, and judges the history; any violation, or a failure of the run itself, exits 1.
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class FaultScheduleTests(ITestOutputHelper output)
{
    // The run promises at most 90 s; the deadline leaves room for a loaded machine, and is not a wait.
    private static readonly TimeSpan s_deadline = TimeSpan.FromMinutes(4);

    [Fact]
    public async Task QuickRun_EveryFaultKind_NoViolation_ExitsZero()
    {
        string program = Program();
        Assert.True(File.Exists(program), $"{program} is missing: build the solution first (scripts/test.sh does)");

        var psi = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        // The history is kept for a failed run (re-judge it with `presence-faults check FILE`); a passed run's is deleted.
        string history = Path.Combine(Path.GetTempPath(), $"presence-faults-quick-{Environment.ProcessId}.json");
        psi.ArgumentList.Add(program);
        psi.ArgumentList.Add("--quick");
        psi.ArgumentList.Add("--history");
        psi.ArgumentList.Add(history);
        var log = new StringBuilder();
        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Append(log, e.Data);
        process.ErrorDataReceived += (_, e) => Append(log, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        bool finished;
        using (var deadline = new CancellationTokenSource(s_deadline))
        {
            try
            {
                await process.WaitForExitAsync(deadline.Token);
                finished = true;
            }
            catch (OperationCanceledException)
            {
                finished = false;
            }
        }
        if (!finished)
        {
            // SIGTERM first: the run stops what it started (and deletes its network namespace), then the tree is killed.
            using (var term = Process.Start("kill", $"-TERM {process.Id}"))
                term.WaitForExit();
            if (!process.WaitForExit(60_000))
                process.Kill(entireProcessTree: true);
        }
        process.WaitForExit(); // the output read to the end
        lock (log)
            output.WriteLine(log.ToString());
        Assert.True(finished, $"presence-faults --quick did not finish within {s_deadline.TotalMinutes} minutes (output above)");
        Assert.True(process.ExitCode == 0, $"presence-faults --quick exited {process.ExitCode} (output above; history in {history}): {LastLine(log)}");
        File.Delete(history);
    }

    [Theory]
    [InlineData("--help", 0)]
    [InlineData("-h", 0)]
    [InlineData("--seed", 2)]
    public async Task Check_HelpOrAnOption_UsageNotAFileRead(string argument, int exitCode)
    {
        // `presence-faults check --help` read a history file named "--help" and exited 1.
        var run = await ToolRun.RunAsync("dotnet", [Program(), "check", argument], TimeSpan.FromMinutes(1));
        Assert.Equal(exitCode, run.ExitCode);
        Assert.DoesNotContain("cannot read", run.Stderr, StringComparison.Ordinal);
        Assert.Contains(exitCode == 0 ? "presence-faults check FILE" : "check needs one FILE", exitCode == 0 ? run.Stdout : run.Stderr, StringComparison.Ordinal);
    }

    private static string Program()
    {
#if DEBUG
        const string configuration = "Debug";
#else
        const string configuration = "Release";
#endif
        return Repository.PathOf("bench", "Faults", "bin", configuration, "net10.0", "presence-faults.dll");
    }

    private static void Append(StringBuilder log, string? line)
    {
        if (line is null)
            return;
        lock (log)
            log.AppendLine(line);
    }

    private static string LastLine(StringBuilder log)
    {
        lock (log)
            return log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault(l => l.StartsWith("FAILED", StringComparison.Ordinal) || l.Contains("violation", StringComparison.OrdinalIgnoreCase)) ?? "";
    }
}
