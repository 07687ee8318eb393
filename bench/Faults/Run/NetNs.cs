using System.Diagnostics;
using System.Globalization;
using Presence.Testing;

namespace Presence.Bench.Faults.Run;

/// <summary>
/// The run's own network namespace holding redis-server, reached from the host over a veth pair
/// (a private /30: host side .1, namespace side .2). A partition takes the host side's link down.
/// Names carry the run's pid (<c>pxf-PID</c>, links <c>pxfPIDh</c>/<c>pxfPIDn</c>); at start, those of
/// runs whose process is gone are deleted, and this run's are deleted on every way out.
/// </summary>
internal sealed partial class NetNs
{
    public const string Prefix = "pxf";

    private NetNs(string name, string hostLink, string hostAddress, string innerAddress)
    {
        Name = name;
        HostLink = hostLink;
        HostAddress = hostAddress;
        InnerAddress = innerAddress;
    }

    public string Name { get; }
    public string HostLink { get; }
    public string HostAddress { get; }

    /// <summary>The address redis-server binds to inside the namespace, which the services connect to.</summary>
    public string InnerAddress { get; }

    /// <summary>Why partitions cannot run here, or null: root and the <c>ip</c> command are needed.</summary>
    public static string? Unavailable()
    {
        if (Environment.UserName != "root" && GetEuid() != 0)
            return "not running as root";
        if (FindIp() is null)
            return "no `ip` command (Debian package iproute2)";
        return null;
    }

    /// <summary>Deletes namespaces and links of earlier runs whose process is gone (a crash, a SIGKILL).</summary>
    public static void CleanStale()
    {
        var (_, list) = Ip(false, "netns", "list");
        foreach (var line in list.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var name = line.Split(' ')[0];
            if (name.StartsWith(Prefix + "-", StringComparison.Ordinal) && !Alive(name[(Prefix.Length + 1)..]))
            {
                Console.WriteLine($"presence-faults: deleting network namespace {name} of a run that is gone (and the redis-server left in it)");
                var (_, pids) = Ip(false, "netns", "pids", name);
                foreach (var pid in pids.Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    if (int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int p))
                        _ = Signals.Kill(p, Signals.SigKill);
                }
                Ip(false, "netns", "delete", name);
            }
        }
        var (_, links) = Ip(false, "-o", "link", "show");
        foreach (var line in links.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = line.Split(':', 3);
            if (parts.Length < 2)
                continue;
            var link = parts[1].Trim().Split('@')[0];
            if (link.StartsWith(Prefix, StringComparison.Ordinal) && link.EndsWith('h') && !Alive(link[Prefix.Length..^1]))
            {
                Console.WriteLine($"presence-faults: deleting link {link} of a run that is gone");
                Ip(false, "link", "delete", link);
            }
        }
    }

    /// <summary>Creates the namespace and the veth pair, both sides up.</summary>
    public static NetNs Create()
    {
        int pid = Environment.ProcessId;
        int net = pid % 16_000; // 10.200.0.0/16 split in /30s: 16,384 of them
        string Address(int host) => string.Create(CultureInfo.InvariantCulture, $"10.200.{net * 4 / 256}.{net * 4 % 256 + host}");
        var ns = new NetNs($"{Prefix}-{pid}", $"{Prefix}{pid}h", Address(1), Address(2));
        string inner = $"{Prefix}{pid}n";
        try
        {
            Ip(true, "netns", "add", ns.Name);
            Ip(true, "link", "add", ns.HostLink, "type", "veth", "peer", "name", inner);
            Ip(true, "link", "set", inner, "netns", ns.Name);
            Ip(true, "addr", "add", ns.HostAddress + "/30", "dev", ns.HostLink);
            Ip(true, "link", "set", ns.HostLink, "up");
            Ip(true, "-n", ns.Name, "addr", "add", ns.InnerAddress + "/30", "dev", inner);
            Ip(true, "-n", ns.Name, "link", "set", inner, "up");
            Ip(true, "-n", ns.Name, "link", "set", "lo", "up");
        }
        catch
        {
            ns.Delete();
            throw;
        }
        return ns;
    }

    /// <summary>The command prefix that runs a program inside the namespace.</summary>
    public string[] Exec => [FindIp()!, "netns", "exec", Name];

    public void SetLink(bool up) => Ip(true, "link", "set", HostLink, up ? "up" : "down");

    /// <summary>Deletes the namespace (its processes must be gone) and the veth pair; never throws.</summary>
    public void Delete()
    {
        try
        {
            Ip(false, "link", "delete", HostLink);
            Ip(false, "netns", "delete", Name);
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"presence-faults: could not delete network namespace {Name}: {e.Message}");
        }
    }

    private static bool Alive(string pid) =>
        int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p != Environment.ProcessId && Directory.Exists($"/proc/{p}")
            || pid == Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    private static (int Exit, string Output) Ip(bool check, params string[] args)
    {
        var info = new ProcessStartInfo(FindIp() ?? "ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException("ip did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(10_000))
        {
            process.Kill();
            throw new InvalidOperationException($"ip {string.Join(' ', args)} did not finish within 10 s");
        }
        process.WaitForExit();
        if (check && process.ExitCode != 0)
            throw new InvalidOperationException($"ip {string.Join(' ', args)} failed ({process.ExitCode}): {stderr.Result.Trim()}");
        return (process.ExitCode, stdout.Result);
    }

    private static string? FindIp() =>
        new[] { "/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip" }.FirstOrDefault(File.Exists);

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "geteuid")]
    private static partial uint GetEuid();
}
