using System.Globalization;

namespace Presence.Testing;

/// <summary>The kernel's UDP counters of the whole machine (<c>/proc/net/snmp</c> and <c>snmp6</c>).</summary>
public static class UdpStats
{
    /// <summary>
    /// Datagrams the kernel dropped because a socket's receive buffer was full (IPv4 and IPv6), on
    /// the whole machine; 0 where the files are not there. A test takes the difference across what
    /// it does, an upper bound on the drops of its own sockets.
    /// </summary>
    public static long ReceiveBufferErrors() => Snmp4("RcvbufErrors") + Snmp6("Udp6RcvbufErrors");

    private static long Snmp4(string name)
    {
        const string file = "/proc/net/snmp";
        if (!File.Exists(file))
            return 0;
        // Two lines per protocol: "Udp: Name Name …" then "Udp: value value …".
        var lines = File.ReadAllLines(file).Where(l => l.StartsWith("Udp:", StringComparison.Ordinal)).ToArray();
        if (lines.Length < 2)
            return 0;
        var names = lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var values = lines[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        int i = Array.IndexOf(names, name);
        return i > 0 && i < values.Length ? long.Parse(values[i], CultureInfo.InvariantCulture) : 0;
    }

    private static long Snmp6(string name)
    {
        const string file = "/proc/net/snmp6";
        if (!File.Exists(file))
            return 0;
        foreach (var line in File.ReadLines(file))
        {
            var parts = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && parts[0] == name)
                return long.Parse(parts[1], CultureInfo.InvariantCulture);
        }
        return 0;
    }
}
