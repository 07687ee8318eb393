using System.Globalization;

namespace Presence.Ingest.Internal.Udp;

/// <summary>
/// Reads the kernel's drop counter for one UDP socket from /proc/net/udp (and udp6): the last
/// column, on the line whose inode is the socket's. Read on scrape, never on the hot path.
/// </summary>
internal sealed class KernelUdpStats
{
    private readonly string? _inode;

    public KernelUdpStats(int fd)
    {
        try
        {
            // /proc/self/fd/N -> "socket:[12345]"
            var target = new FileInfo($"/proc/self/fd/{fd}").LinkTarget;
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal))
                _inode = target["socket:[".Length..^1];
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    public bool Available => _inode is not null;

    /// <summary>The drop count, or null when it cannot be read (not Linux, socket gone).</summary>
    public long? ReadDrops()
    {
        if (_inode is null)
            return null;
        foreach (var file in new[] { "/proc/net/udp", "/proc/net/udp6" })
        {
            try
            {
                foreach (var line in File.ReadLines(file).Skip(1))
                {
                    var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    // sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
                    if (fields.Length >= 13 && fields[9] == _inode
                        && long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out long drops))
                        return drops;
                }
            }
            catch (IOException)
            {
            }
        }
        return null;
    }
}
