using System.Diagnostics;

namespace Presence.Testing;

/// <summary>
/// Every program a benchmark or a run starts, each the leader of its own process group (started through
/// <c>setsid</c>), so stopping one stops whatever it started too, and so Ctrl-C in the terminal
/// reaches only the starting program, which then stops them itself. <see cref="KillAll"/> runs on every
/// way out: the harness's <c>finally</c>, process exit, and a second signal (see bench/Faults' Program).
/// </summary>
public static class ProcessGroups
{
    public const int SigKill = Signals.SigKill;
    public const int SigTerm = Signals.SigTerm;
    public const int SigCont = 18;
    public const int SigStop = 19;

    private static readonly List<GroupProcess> s_running = [];

    /// <summary>When set, every started pid is appended to this file (so a later run can clean up after this one if it is killed outright).</summary>
    public static string? PidFile { get; set; }

    static ProcessGroups()
    {
        AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();
    }

    /// <summary>Starts <paramref name="file"/> in a process group of its own, printing the command line first.</summary>
    public static GroupProcess Start(string name, string file, params string[] args)
    {
        Console.WriteLine("$ " + Show(file, args));
        var info = new ProcessStartInfo("setsid") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(file);
        foreach (var a in args)
            info.ArgumentList.Add(a);
        var process = new Process { StartInfo = info };
        var child = new GroupProcess(name, process);
        process.OutputDataReceived += (_, e) => child.Append(child.Stdout, e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(child.Stderr, e.Data);
        lock (s_running)
        {
            process.Start();
            s_running.Add(child);
            if (PidFile is not null)
                File.AppendAllText(PidFile, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\n");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Runs a program to its end (bounded by <paramref name="timeout"/>) and returns its stdout; throws on a failure.</summary>
    public static string Run(string file, TimeSpan timeout, params string[] args)
    {
        var child = Start(file, file, args);
        try
        {
            if (!child.Process.WaitForExit(timeout))
                throw new TimeoutException($"{file} did not finish within {timeout.TotalSeconds:0} s");
            child.Process.WaitForExit(); // the output drained
            if (child.Process.ExitCode != 0)
                throw new InvalidOperationException($"{file} exited {child.Process.ExitCode}: {child.Tail()}");
            return child.Stdout.ToString();
        }
        finally
        {
            Stop(child, TimeSpan.Zero);
        }
    }

    /// <summary>SIGTERM to the child's group, then SIGKILL when it has not exited within <paramref name="grace"/>.</summary>
    public static void Stop(GroupProcess child, TimeSpan grace)
    {
        if (!child.Process.HasExited && grace > TimeSpan.Zero)
        {
            Signal(child, SigTerm);
            child.Process.WaitForExit(grace);
        }
        if (!child.Process.HasExited)
        {
            Signal(child, SigKill);
            child.Process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        if (child.Process.HasExited)
            child.Process.WaitForExit(); // its output read to the end
        Signal(child, SigKill, groupOnly: true); // anything it left behind in its group
        lock (s_running)
            s_running.Remove(child);
    }

    /// <summary>SIGKILL to every group still running (the way out when the harness fails or is interrupted).</summary>
    public static void KillAll()
    {
        GroupProcess[] left;
        lock (s_running)
        {
            left = [.. s_running];
            s_running.Clear();
        }
        foreach (var child in left)
        {
            Signal(child, SigKill);
            Signal(child, SigKill, groupOnly: true);
        }
    }

    public static void Signal(GroupProcess child, int signal, bool groupOnly = false)
    {
        int pid = child.Process.Id;
        // setsid made the child its group's leader (its pgid is its pid): the whole group gets the signal.
        if (Signals.Kill(-pid, signal) == 0 || groupOnly)
            return;
        Signals.Kill(pid, signal);
    }

    /// <summary>SIGKILL to a process group a gone run left (its leader's pid).</summary>
    public static void KillGroup(int pid)
    {
        if (Signals.Kill(-pid, SigKill) != 0)
            Signals.Kill(pid, SigKill);
    }


    private static string Show(string file, string[] args) =>
        string.Join(' ', new[] { file }.Concat(args.Select(a => a.Length == 0 ? "\"\"" : a.Contains(' ', StringComparison.Ordinal) ? $"'{a}'" : a)));
}
