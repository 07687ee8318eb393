using System.Diagnostics;
using System.Text;

namespace Presence.Testing;

/// <summary>
/// One of the repository's programs run as a child process (<c>dotnet NAME.dll ARGS</c>, from the
/// test's own output folder), with an environment of its own when given, so a variable it reads
/// reaches that program only, never the test process. Both output streams are captured line by
/// line; the process is killed on dispose if it is still running.
/// </summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    /// <summary>The program's name, e.g. <c>presence-ingest</c>.</summary>
    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Both streams, interleaved as the lines arrived.</summary>
    public string Log => Read(_log);

    public string Stdout => Read(_stdout);

    public string Stderr => Read(_stderr);

    /// <summary>
    /// How long a program may take to start and say so: a .NET program JIT-compiles its start-up
    /// path, a few seconds on a loaded 2-core machine and more with two CPU hogs beside it. It is
    /// a deadline, not a wait: a program that exits first fails the test at once.
    /// </summary>
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Starts <paramref name="name"/> (<c>presence-ingest</c>, <c>presence-query</c>, <c>presence-demo</c>)
    /// with <paramref name="args"/>, and <paramref name="environment"/> laid over this process's
    /// (a null value removes the variable).
    /// </summary>
    /// <param name="launcher">
    /// A command that runs the program in its place, e.g. <c>setpriv</c> with the capabilities to
    /// drop (then <c>dotnet</c> and the program follow its words); null: <c>dotnet</c> itself.
    /// </param>
    public static ChildProcess Start(string name, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, IReadOnlyList<string>? launcher = null)
    {
        var psi = new ProcessStartInfo(launcher is { Count: > 0 } ? launcher[0] : "dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (launcher is { Count: > 0 })
        {
            foreach (var word in launcher.Skip(1))
                psi.ArgumentList.Add(word);
            psi.ArgumentList.Add("dotnet");
        }
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, name + ".dll"));
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                psi.Environment.Remove(key);
            else
                psi.Environment[key] = value;
        }
        var child = new ChildProcess(name, Process.Start(psi) ?? throw new InvalidOperationException($"{name} did not start."));
        child._process.OutputDataReceived += (_, e) => child.Append(e.Data, child._stdout);
        child._process.ErrorDataReceived += (_, e) => child.Append(e.Data, child._stderr);
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    public static ChildProcess Start(string name, params string[] args) => Start(name, args, environment: null);

    /// <summary>
    /// Waits until the log holds <paramref name="text"/> (for <see cref="Eventually.DefaultTimeout"/>
    /// unless told); fails at once, with the log, if the process exits first.
    /// </summary>
    public Task WaitForLog(string text, TimeSpan? timeout = null) =>
        Eventually.Until(() =>
        {
            if (Log.Contains(text, StringComparison.Ordinal))
                return true;
            if (_process.HasExited)
                throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before logging '{text}':\n{Log}");
            return false;
        }, $"{Name} to log '{text}'", timeout);

    /// <summary>Waits for the process to exit and for its output to be read to the end; returns the exit code.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds} s; log:\n{Log}");
        }
        _process.WaitForExit(); // returns once the redirected streams reached their end
        return _process.ExitCode;
    }

    /// <summary>Sends a signal by name (<c>TERM</c>, <c>INT</c>, <c>HUP</c>) with kill(1).</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", $"-{signal} {_process.Id}");
        kill.WaitForExit();
        if (kill.ExitCode != 0)
            throw new InvalidOperationException($"kill -{signal} {_process.Id} failed with {kill.ExitCode}");
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // it had already gone
        }
        _process.Dispose();
    }

    private void Append(string? line, StringBuilder stream)
    {
        if (line is null)
            return;
        lock (_log)
        {
            _log.AppendLine(line);
            stream.AppendLine(line);
        }
    }

    private string Read(StringBuilder builder)
    {
        lock (_log)
            return builder.ToString();
    }
}
