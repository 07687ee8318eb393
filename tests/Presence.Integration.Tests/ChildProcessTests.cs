using System.Globalization;
using Presence.Testing;

namespace Presence.Integration.Tests;

/// <summary>
/// The kit's child process, which every process test, benchmark and the fault runner start their
/// programs with: what it promises (its group stopped with it, a program that exits early named
/// with its last lines, SIGTERM before SIGKILL) is what keeps a failed run from leaving programs behind.
/// </summary>
public sealed class ChildProcessTests
{
    private static readonly TimeSpan s_toolTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Dispose_KillsWhatTheProgramStartedToo()
    {
        var child = ChildProcess.StartFile("sh", "sh", "-c", "sleep 300 & echo \"grandchild $!\"; wait");
        string? line = await Eventually.Satisfy(
            () => child.Log.Split('\n').FirstOrDefault(l => l.StartsWith("grandchild ", StringComparison.Ordinal)),
            l => l is not null, "sh to print its sleep's pid");
        int grandchild = int.Parse(line!["grandchild ".Length..].Trim(), CultureInfo.InvariantCulture);
        Assert.True(Running(grandchild), "the sleep runs before the dispose");

        // Bounded: a Dispose that left the sleep alive would wait on the output pipe it holds.
        var disposed = Task.Run(child.Dispose);
        Assert.True(await Task.WhenAny(disposed, Task.Delay(TimeSpan.FromSeconds(60))) == disposed, "Dispose returned within 60 s");

        await Eventually.Until(() => !Running(grandchild), $"the sleep (pid {grandchild}) to be gone with its group");
    }

    [Fact]
    public async Task WaitForLog_ProgramExitsFirst_FailsAtOnceWithItsExitCodeAndLastLines()
    {
        using var child = ChildProcess.StartFile("early", "sh", "-c", "echo the-last-words; exit 3");

        var failure = await Assert.ThrowsAsync<InvalidOperationException>(() => child.WaitForLog("never printed", TimeSpan.FromSeconds(60)));

        Assert.Contains("early exited 3", failure.Message);
        Assert.Contains("the-last-words", failure.Message);
    }

    [Fact]
    public void Run_ExitsZero_ReturnsItsStdout()
    {
        string output = ChildProcess.Run("sh", s_toolTimeout, "-c", "echo to-stdout; echo to-stderr >&2");

        Assert.Equal("to-stdout\n", output);
    }

    [Fact]
    public void Run_ExitsOne_ThrowsWithTheExitCodeAndWhatItPrinted()
    {
        var failure = Assert.Throws<InvalidOperationException>(() => ChildProcess.Run("sh", s_toolTimeout, "-c", "echo why-it-failed >&2; exit 1"));

        Assert.Contains("sh exited 1", failure.Message);
        Assert.Contains("why-it-failed", failure.Message);
    }

    [Fact]
    public void Run_PastItsTimeout_ThrowsTimeout()
    {
        var failure = Assert.Throws<TimeoutException>(() => ChildProcess.Run("sleep", TimeSpan.FromMilliseconds(300), "300"));

        Assert.Contains("sleep did not finish", failure.Message);
    }

    [Fact]
    public async Task Stop_WithGrace_DeliversSigtermFirst()
    {
        using var child = ChildProcess.StartFile("trapper", "sh", "-c",
            "trap 'echo got-sigterm; exit 0' TERM; echo ready; while true; do sleep 0.1; done");
        await child.WaitForLog("ready");

        child.Stop(TimeSpan.FromSeconds(60));

        Assert.True(child.HasExited);
        Assert.Equal(0, child.ExitCode); // its trap's exit, not a kill's 137
        Assert.Contains("got-sigterm", child.Log);
    }

    /// <summary>Whether <paramref name="pid"/> is a live process (a zombie waiting to be reaped is not).</summary>
    private static bool Running(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // The state follows the command's closing parenthesis.
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
