using System.Diagnostics;
using System.Text;

namespace Presence.Integration.Tests.Clients;

/// <summary>A program run to its end with a deadline: exit code and output, killed (with its children) when late.</summary>
public sealed record ChildRun(int ExitCode, string Stdout, string Stderr)
{
    public string Output => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";

    public static async Task<ChildRun> RunAsync(string program, IEnumerable<string> args, string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? RepoFiles.Root,
        };
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            psi.Environment[key] = value;
        using var process = new Process { StartInfo = psi };
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException($"cannot run {program}: {e.Message} (./scripts/test.sh installs gcc and python3 when missing)", e);
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {(timeout ?? TimeSpan.FromMinutes(3)).TotalSeconds:0} s:\n{stdout}\n{stderr}");
        }
        process.WaitForExit(); // drains the output events
        lock (stdout)
            lock (stderr)
                return new ChildRun(process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
