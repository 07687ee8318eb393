using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Presence.Testing;

/// <summary>
/// A program a test, benchmark or tool starts: one of the repository's (<see cref="Start(string, IEnumerable{string}, IReadOnlyDictionary{string, string?}?, IReadOnlyList{string}?)"/>,
/// <c>dotnet NAME.dll ARGS</c> from the starter's own output folder) or any other (<see cref="StartFile"/>).
/// <list type="bullet">
/// <item>It leads a process group of its own (started through <c>setsid</c>, which execs it: its pid is the
/// group's id), so a signal or a kill reaches whatever it started too, and Ctrl-C in the terminal reaches
/// only the starter, which then stops it itself.</item>
/// <item>An environment of its own when given, so a variable it reads reaches that program only, never the starter.</item>
/// <item>Both output streams captured line by line (it never blocks on a full pipe), also interleaved in <see cref="Log"/>.</item>
/// <item>A program that exits while it is waited for fails the wait at once, with its exit code and last lines.</item>
/// <item>Stopped (its group killed) on <see cref="Dispose"/>, on <see cref="KillAll"/> and when the starter exits.</item>
/// </list>
/// </summary>
public sealed class ChildProcess : IDisposable
{
    /// <summary>
    /// How long a program may take to start and say so: a .NET program JIT-compiles its start-up
    /// path, a few seconds on a loaded 2-core machine and more with two CPU hogs beside it. It is
    /// a deadline, not a wait: a program that exits first fails the test at once.
    /// </summary>
    public static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// What each output buffer keeps: a long run's progress lines would only grow, so past this many
    /// characters the older half goes (a test's program says far less, and keeps all of it).
    /// </summary>
    private const int MaxChars = 4 * 1024 * 1024;

    /// <summary>How many of the last lines a failure quotes.</summary>
    private const int FailureLines = 50;

    private static readonly List<ChildProcess> s_running = [];

    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();
    private int _stopped;

    static ChildProcess()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    /// <summary>When set, every started pid is appended to this file (so a later run can clean up after this one if it is killed outright).</summary>
    public static string? PidFile { get; set; }

    /// <summary>When set, every command line is written here before it starts (a benchmark prints each command it runs).</summary>
    public static TextWriter? CommandLog { get; set; }

    /// <summary>What the program is called in failures, e.g. <c>presence-ingest</c>, <c>redis-1</c>.</summary>
    public string Name { get; }

    /// <summary>The program's pid, which is also its process group's id.</summary>
    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Both streams, interleaved as the lines arrived.</summary>
    public string Log => Read(_log);

    public string Stdout => Read(_stdout);

    public string Stderr => Read(_stderr);

    /// <summary>
    /// Starts the repository's program <paramref name="name"/> (<c>presence-ingest</c>, <c>presence-query</c>,
    /// <c>presence-demo</c>) with <paramref name="args"/>, and <paramref name="environment"/> laid over this
    /// process's (a null value removes the variable).
    /// </summary>
    /// <param name="launcher">
    /// A command that runs the program in its place, e.g. <c>setpriv</c> with the capabilities to
    /// drop (then <c>dotnet</c> and the program follow its words); null: <c>dotnet</c> itself.
    /// </param>
    public static ChildProcess Start(string name, IEnumerable<string> args, IReadOnlyDictionary<string, string?>? environment = null, IReadOnlyList<string>? launcher = null) =>
        StartCore(name, [.. launcher ?? Array.Empty<string>(), "dotnet", Path.Combine(AppContext.BaseDirectory, name + ".dll"), .. args], environment);

    public static ChildProcess Start(string name, params string[] args) => Start(name, args, environment: null);

    /// <summary>Starts <paramref name="file"/> (looked up in PATH) with <paramref name="args"/>, called <paramref name="name"/>.</summary>
    public static ChildProcess StartFile(string name, string file, params string[] args) => StartCore(name, [file, .. args], environment: null);

    /// <summary>Runs <paramref name="file"/> to its end (bounded by <paramref name="timeout"/>) and returns its stdout; throws, with its last lines, when it fails.</summary>
    public static string Run(string file, TimeSpan timeout, params string[] args)
    {
        using var child = StartFile(file, file, args);
        if (!child._process.WaitForExit(timeout))
            throw new TimeoutException($"{file} did not finish within {timeout.TotalSeconds:0} s:\n{child.Tail()}");
        child.Reap();
        if (child.ExitCode != 0)
            throw new InvalidOperationException($"{file} exited {child.ExitCode}:\n{child.Tail()}");
        return child.Stdout;
    }

    /// <summary>
    /// Waits until the log holds <paramref name="text"/> (for <see cref="Eventually.DefaultTimeout"/>
    /// unless told); fails at once, with the last lines, if the process exits first.
    /// </summary>
    public Task WaitForLog(string text, TimeSpan? timeout = null) =>
        Eventually.Until(() =>
        {
            if (Log.Contains(text, StringComparison.Ordinal))
                return true;
            ThrowIfExited($" before logging '{text}'");
            return false;
        }, $"{Name} to log '{text}'", timeout);

    /// <summary>Fails with the program's own last lines when it has exited (<paramref name="before"/> says what it did not get to).</summary>
    public void ThrowIfExited(string before = "")
    {
        if (_process.HasExited)
        {
            Reap();
            throw new InvalidOperationException($"{Name} exited {_process.ExitCode}{before}:\n{Tail()}");
        }
    }

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
            throw new TimeoutException($"{Name} did not exit within {timeout.TotalSeconds} s:\n{Tail()}");
        }
        Reap();
        return _process.ExitCode;
    }

    /// <summary>Waits for the process to exit (its output may still be arriving: see <see cref="WaitForExitAsync(TimeSpan)"/>).</summary>
    public Task WaitForExitAsync(CancellationToken cancel) => _process.WaitForExitAsync(cancel);

    /// <summary>
    /// Sends <paramref name="signal"/> (<see cref="Signals"/>: <c>SigTerm</c>, <c>SigHup</c>, <c>SigStop</c>, …)
    /// to the program's process group, else (no such group) to the program alone while it runs (once it
    /// has exited, its pid may be another process's).
    /// </summary>
    public void Signal(int signal)
    {
        if (Signals.Kill(-_process.Id, signal) != 0 && !_process.HasExited)
            _ = Signals.Kill(_process.Id, signal);
    }

    /// <summary>
    /// SIGTERM to the group, then SIGKILL when the program has not exited within <paramref name="grace"/>
    /// (zero: SIGKILL at once); waits for it and its output, and kills whatever it left in its group.
    /// Once only: a second call returns at once.
    /// </summary>
    public void Stop(TimeSpan grace)
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
            return;
        try
        {
            if (!_process.HasExited && grace > TimeSpan.Zero)
            {
                Signal(Signals.SigTerm);
                _process.WaitForExit(grace);
            }
            if (!_process.HasExited)
            {
                Signal(Signals.SigKill);
                _process.WaitForExit(TimeSpan.FromSeconds(10));
            }
            if (_process.HasExited)
                Reap();
        }
        finally
        {
            lock (s_running)
                s_running.Remove(this);
        }
    }

    /// <summary>Kills the program (and its group) if it is still running.</summary>
    public void Dispose()
    {
        Stop(TimeSpan.Zero);
        _process.Dispose();
    }

    /// <summary>SIGKILL to every group still running (the way out when the starter fails, is interrupted, or exits).</summary>
    public static void KillAll()
    {
        ChildProcess[] left;
        lock (s_running)
        {
            left = [.. s_running];
            s_running.Clear();
        }
        // Not Stop: this runs on the way out (a signal handler, ProcessExit) and must not wait.
        foreach (var child in left)
            child.Signal(Signals.SigKill);
    }

    /// <summary>The last <paramref name="lines"/> of <see cref="Log"/>, for a failure.</summary>
    public string Tail(int lines = FailureLines)
    {
        var all = Log.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return all.Length <= lines
            ? string.Join('\n', all)
            : $"({all.Length - lines} lines before these)\n" + string.Join('\n', all.TakeLast(lines));
    }

    /// <summary>
    /// Once the program has exited: kills what it left behind in its group (which would hold its
    /// output open), then waits until its output is read to the end.
    /// </summary>
    private void Reap()
    {
        _ = Signals.Kill(-_process.Id, Signals.SigKill);
        _process.WaitForExit();
    }

    private static ChildProcess StartCore(string name, IReadOnlyList<string> command, IReadOnlyDictionary<string, string?>? environment)
    {
        CommandLog?.WriteLine("$ " + Show(command));
        var psi = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var word in command)
            psi.ArgumentList.Add(word);
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
                psi.Environment.Remove(key);
            else
                psi.Environment[key] = value;
        }
        var child = new ChildProcess(name, new Process { StartInfo = psi });
        child._process.OutputDataReceived += (_, e) => child.Append(e.Data, child._stdout);
        child._process.ErrorDataReceived += (_, e) => child.Append(e.Data, child._stderr);
        lock (s_running)
        {
            try
            {
                child._process.Start();
            }
            catch (Win32Exception e)
            {
                child._process.Dispose();
                throw new InvalidOperationException($"{name} did not start ({Show(command)}): {e.Message}", e);
            }
            s_running.Add(child);
            if (PidFile is not null)
                File.AppendAllText(PidFile, child.Pid.ToString(CultureInfo.InvariantCulture) + "\n");
        }
        child._process.BeginOutputReadLine();
        child._process.BeginErrorReadLine();
        return child;
    }

    private void Append(string? line, StringBuilder stream)
    {
        if (line is null)
            return;
        lock (_log)
        {
            Keep(_log).AppendLine(line);
            Keep(stream).AppendLine(line);
        }
    }

    /// <summary>Drops the older half of a buffer past <see cref="MaxChars"/>, at a line's start.</summary>
    private static StringBuilder Keep(StringBuilder buffer)
    {
        if (buffer.Length > MaxChars)
        {
            int cut = buffer.Length - MaxChars / 2;
            while (cut < buffer.Length && buffer[cut - 1] != '\n')
                cut++;
            buffer.Remove(0, cut);
        }
        return buffer;
    }

    private string Read(StringBuilder builder)
    {
        lock (_log)
            return builder.ToString();
    }

    private static string Show(IEnumerable<string> command) =>
        string.Join(' ', command.Select(a => a.Length == 0 ? "\"\"" : a.Contains(' ', StringComparison.Ordinal) || a.Contains('"', StringComparison.Ordinal) ? $"'{a}'" : a));
}
