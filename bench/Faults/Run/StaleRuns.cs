using System.Globalization;
using Presence.Testing;

namespace Presence.Bench.Faults.Run;

/// <summary>
/// What a run leaves when it is killed outright (SIGKILL cannot be caught): its programs, each in a
/// process group of its own, and its directory <c>/tmp/presence-faults-PID</c>, which lists them
/// (<see cref="ChildProcess.PidFile"/>). The next run kills those groups and deletes the directory.
/// </summary>
internal static class StaleRuns
{
    public const string DirectoryPrefix = "presence-faults-";

    /// <summary>This run's directory (created, and named in <see cref="ChildProcess.PidFile"/>).</summary>
    public static string Own()
    {
        string dir = Path.Combine(Path.GetTempPath(), DirectoryPrefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        if (Directory.Exists(dir))
            Directory.Delete(dir, recursive: true);
        Directory.CreateDirectory(dir);
        ChildProcess.PidFile = Path.Combine(dir, "pids");
        return dir;
    }

    public static void Clean()
    {
        foreach (var dir in Directory.EnumerateDirectories(Path.GetTempPath(), DirectoryPrefix + "*"))
        {
            string name = Path.GetFileName(dir)[DirectoryPrefix.Length..];
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out int owner) || owner == Environment.ProcessId || Directory.Exists($"/proc/{owner}"))
                continue;
            string pids = Path.Combine(dir, "pids");
            int killed = 0;
            if (File.Exists(pids))
            {
                foreach (var line in File.ReadAllLines(pids))
                {
                    // Only a process that is still one of the run's programs (a pid may have been reused since).
                    if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && IsRunProgram(pid))
                    {
                        Signals.ToGroup(pid, Signals.SigKill);
                        killed++;
                    }
                }
            }
            Console.WriteLine($"presence-faults: cleaning up after run {owner}, which is gone: {killed} program(s) killed, {dir} deleted");
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // held: left
            }
        }
    }

    private static bool IsRunProgram(int pid)
    {
        try
        {
            string cmdline = File.ReadAllText($"/proc/{pid}/cmdline");
            return cmdline.Contains("presence-", StringComparison.Ordinal) || cmdline.Contains("redis-server", StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }
    }
}
