using Presence.Core;
using Presence.Hosting;

namespace Presence.Ingest.Internal;

/// <summary>Loads master keys, refusing a file that anyone but its owner could read.</summary>
internal static class KeyFile
{
    /// <summary>
    /// Returns the key ring, or throws <see cref="ArgumentException"/> with a one-line reason (never
    /// a key): missing, open to group or others, unreadable, or not a key file.
    /// </summary>
    public static MasterKeyRing Load(string path)
    {
        if (!File.Exists(path))
            throw new ArgumentException($"--keys: {path} does not exist");
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            const UnixFileMode others = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
                | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
            if ((mode & others) != 0)
                throw new ArgumentException($"--keys: {path} is accessible to group or others (mode {Convert.ToString((int)mode, 8)}); run chmod 600 {path}");
        }
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // E.g. a file the service user may not read (owned by root, mode 600): at start a
            // one-line refusal (exit 2), on SIGHUP a refused reload that keeps the keys in force.
            throw new ArgumentException($"--keys: {path} cannot be read ({RedisSecrets.WhyUnreadable(path, e)})", e);
        }
        try
        {
            return MasterKeyRing.Parse(text);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"--keys: {path}: {e.Message}");
        }
    }
}
