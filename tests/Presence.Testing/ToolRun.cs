using System.Diagnostics;
using System.ComponentModel;
using System.Text;

namespace Presence.Testing;

/// <summary>
/// A program run to its end with a deadline (a compiler, python3, promtool, bash): its exit code and
/// output. A program that does not finish in time is killed with its children and the run throws
/// <see cref="TimeoutException"/> with what it printed; one that cannot start throws naming it.
/// For the repository's own long-running programs, see <see cref="ChildProcess"/>.
/// </summary>
public sealed record ToolRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Exit code and both outputs, for an assertion's message.</summary>
    public string Output => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";

    public override string ToString() => Output;

    /// <param name="workingDirectory">Default: the checkout's root.</param>
    /// <param name="environment">Variables set for this program only.</param>
    /// <param name="input">Written to its stdin, which is then closed (always closed: nothing waits on it).</param>
    public static async Task<ToolRun> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, string? input = null)
    {
        var arguments = args.ToList();
        var info = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? RepositoryRoot.Path,
        };
        foreach (var arg in arguments)
            info.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            info.Environment[key] = value;
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run {file}: {e.Message} (./scripts/test.sh installs what the tests run)", e);
        }
        using (process)
        {
            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            var readOut = Pump(process.StandardOutput, stdout);
            var readErr = Pump(process.StandardError, stderr);
            if (input is not null)
                await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
            using var deadline = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
                await Task.WhenAll(readOut, readErr);
                throw new TimeoutException($"{file} {string.Join(' ', arguments)} ran past {timeout.TotalSeconds:0} s:\n{stdout}\n{stderr}");
            }
            await Task.WhenAll(readOut, readErr);
            return new ToolRun(process.ExitCode, stdout.ToString(), stderr.ToString());
        }
    }

    private static async Task Pump(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
            into.Append(buffer, 0, n);
    }
}
