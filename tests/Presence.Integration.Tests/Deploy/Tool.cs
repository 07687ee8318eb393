using System.Diagnostics;
using System.Text;

namespace Presence.Integration.Tests.Deploy;

/// <summary>An external program run to completion (promtool, systemd-analyze, bash), with its output and a deadline.</summary>
internal sealed record ToolResult(int ExitCode, string Stdout, string Stderr)
{
    public string Output => Stdout + Stderr;

    public override string ToString() => $"exit {ExitCode}\n{Stdout}{Stderr}";
}

internal static class Tool
{
    /// <summary>
    /// The path of <paramref name="name"/>, which ./scripts/test.sh installs from Debian package
    /// <paramref name="package"/>; fails the test, saying so, when it is not there.
    /// </summary>
    public static string Require(string name, string package)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin").Append("/usr/sbin"))
        {
            var path = Path.Combine(dir, name);
            if (dir.Length > 0 && File.Exists(path))
                return path;
        }
        Assert.Fail($"{name} is not installed: `apt-get install {package}` (./scripts/test.sh does it)");
        return null!;
    }

    public static async Task<ToolResult> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout,
        string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null, string? input = null)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? Repository.Root,
        };
        foreach (var arg in args)
            psi.ArgumentList.Add(arg);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            psi.Environment[key] = value;
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start");
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
            Assert.Fail($"{file} {string.Join(' ', args)} ran past {timeout.TotalSeconds:0} s:\n{stdout}{stderr}");
        }
        await Task.WhenAll(readOut, readErr);
        return new ToolResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private static async Task Pump(StreamReader reader, StringBuilder into)
    {
        var buffer = new char[4096];
        int n;
        while ((n = await reader.ReadAsync(buffer)) > 0)
            into.Append(buffer, 0, n);
    }
}
