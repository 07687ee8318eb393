using System.Diagnostics;
using System.Text;

namespace Presence.Testing;

/// <summary>A program started in a process group of its own (<see cref="ProcessGroups"/>), with its stdout and stderr drained into memory (it never blocks on a full pipe).</summary>
public sealed class GroupProcess(string name, Process process)
{
    public string Name { get; } = name;
    public Process Process { get; } = process;
    public StringBuilder Stdout { get; } = new();
    public StringBuilder Stderr { get; } = new();

    public int Pid => Process.Id;

    public void Append(StringBuilder to, string? line)
    {
        if (line is null)
            return;
        lock (to)
        {
            // A long run's progress lines would only grow: keep the last ~64 KB.
            if (to.Length > 128 * 1024)
                to.Remove(0, 64 * 1024);
            to.AppendLine(line);
        }
    }

    /// <summary>The last lines of stderr and stdout, for an error message.</summary>
    public string Tail(int lines = 15)
    {
        string text;
        lock (Stderr)
            lock (Stdout)
                text = Stderr.ToString() + Stdout.ToString();
        var all = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return string.Join('\n', all.TakeLast(lines));
    }

    /// <summary>Fails with the child's own words when it exited early.</summary>
    public void ThrowIfExited()
    {
        if (Process.HasExited)
            throw new InvalidOperationException($"{Name} exited {Process.ExitCode}:\n{Tail()}");
    }
}
