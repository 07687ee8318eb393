using System.Globalization;
using Presence.Testing;

namespace Presence.Bench.Faults.Run;

/// <summary>
/// One redis-server of the run, in a directory of its own, with an append-only file fsynced on every
/// write (<c>appendfsync always</c>), so a kill loses no acknowledged write; "restarted without its
/// data" deletes that file first (a cluster node keeps its nodes.conf: same slots, empty).
/// </summary>
internal sealed class StoreNode(string name, string host, int port, int busPort, string dir, NetNs? netns, bool cluster)
{
    private ChildProcess? _process;

    public string Name { get; } = name;
    public string Host { get; } = host;
    public int Port { get; } = port;
    public string Endpoint => $"{Host}:{Port}";

    public ChildProcess Process => _process ?? throw new InvalidOperationException($"{Name} is not running");

    public void Start()
    {
        Directory.CreateDirectory(dir);
        var args = new List<string>
        {
            "redis-server", "--port", Port.ToString(CultureInfo.InvariantCulture), "--bind", Host, "--protected-mode", "no",
            "--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always", "--logfile", "", "--daemonize", "no",
        };
        if (cluster)
        {
            args.AddRange(["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000",
                "--cluster-port", busPort.ToString(CultureInfo.InvariantCulture), "--cluster-require-full-coverage", "no"]);
        }
        var command = netns is null ? args : [.. netns.Exec, .. args];
        _process = ChildProcess.StartFile(Name, command[0], [.. command.Skip(1)]);
    }

    /// <summary>SIGKILL, waited for.</summary>
    public void Kill()
    {
        if (_process is not null)
            _process.Stop(TimeSpan.Zero);
    }

    public void Pause() => Process.Signal(Signals.SigStop);

    public void Resume() => Process.Signal(Signals.SigCont);

    /// <summary>Deletes the node's directory (after the run); never throws.</summary>
    public void Delete()
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // a file still held: left in the run's directory
        }
    }

    /// <summary>Deletes the node's data: the append-only files and any snapshot; nodes.conf stays.</summary>
    public void Wipe()
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir))
        {
            if (Path.GetFileName(entry) == "nodes.conf")
                continue;
            if (Directory.Exists(entry))
                Directory.Delete(entry, recursive: true);
            else
                File.Delete(entry);
        }
    }
}
