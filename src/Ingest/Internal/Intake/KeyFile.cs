using Presence.Core;

namespace Presence.Ingest.Internal;

/// <summary>Loads master keys, refusing a file that anyone but its owner could read.</summary>
internal static class KeyFile
{
    /// <summary>Returns the key ring, or throws <see cref="ArgumentException"/> with a one-line reason (never a key).</summary>
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
        try
        {
            return MasterKeyRing.Parse(File.ReadAllText(path));
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"--keys: {path}: {e.Message}");
        }
    }
}
