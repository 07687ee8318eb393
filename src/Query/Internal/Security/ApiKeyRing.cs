using System.Security.Cryptography;
using System.Text;
using Presence.Hosting;

namespace Presence.Query.Internal.Security;

/// <summary>
/// The bearer keys of <c>--api-keys</c>. Keys are kept as SHA-256 digests and a presented key is
/// compared with every one in constant time, so neither its content nor its length leaks through timing.
/// </summary>
internal sealed class ApiKeyRing
{
    /// <summary>Longest key accepted; longer presented keys are refused before hashing.</summary>
    public const int MaxKeyLength = 256;

    private readonly byte[][] _digests;

    private ApiKeyRing(byte[][] digests) => _digests = digests;

    public int Count => _digests.Length;

    /// <summary>Reads a key file: one key a line; blank lines and lines starting with '#' are skipped.</summary>
    public static bool TryLoad(string path, out ApiKeyRing ring, out string? error)
    {
        ring = null!;
        if (!File.Exists(path))
        {
            error = "no such file";
            return false;
        }
        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            const UnixFileMode othersMayRead = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;
            if ((mode & othersMayRead) != 0)
            {
                error = $"readable or writable by group or others (mode {Convert.ToString((int)mode, 8)}); run chmod 600 on it";
                return false;
            }
        }

        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // E.g. a file the service user may not read: refused in one line (exit 2), not a crash.
            error = $"cannot be read ({RedisSecrets.WhyUnreadable(path, e)})";
            return false;
        }
        var digests = new List<byte[]>();
        int lineNumber = 0;
        foreach (var raw in lines)
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            if (line.Length > MaxKeyLength || line.Any(char.IsWhiteSpace))
            {
                error = $"line {lineNumber}: a key is one word of at most {MaxKeyLength} characters";
                return false;
            }
            digests.Add(SHA256.HashData(Encoding.UTF8.GetBytes(line)));
        }
        if (digests.Count == 0)
        {
            error = "holds no key";
            return false;
        }
        ring = new ApiKeyRing([.. digests]);
        error = null;
        return true;
    }

    public static ApiKeyRing Load(string path) =>
        TryLoad(path, out var ring, out var error) ? ring : throw new InvalidOperationException($"--api-keys {path}: {error}");

    /// <summary>Whether <paramref name="authorization"/> is <c>Bearer &lt;a configured key&gt;</c>.</summary>
    public bool IsAuthorized(ReadOnlySpan<char> authorization)
    {
        const string scheme = "Bearer ";
        if (!authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
            return false;
        var key = authorization[scheme.Length..].Trim();
        if (key.IsEmpty || key.Length > MaxKeyLength)
            return false;

        Span<byte> utf8 = stackalloc byte[MaxKeyLength * 3];
        if (!Encoding.UTF8.TryGetBytes(key, utf8, out int length))
            return false;
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(utf8[..length], digest);

        // Every key is compared, match or not, so the time taken does not tell which one matched.
        bool match = false;
        foreach (var known in _digests)
            match |= CryptographicOperations.FixedTimeEquals(known, digest);
        return match;
    }
}
