namespace Presence.Hosting;

/// <summary>
/// The store password of both services, kept out of command lines and logs: read from a file
/// (<c>--redis-password-file</c>, e.g. systemd's <c>$CREDENTIALS_DIRECTORY/redis-password</c>,
/// <c>LoadCredential=</c>), and masked wherever a <c>--redis</c> string is shown.
/// </summary>
public static class RedisSecrets
{
    /// <summary>What a password is shown as.</summary>
    public const string Mask = "***";

    /// <summary>
    /// Reads a password file: its whole text, less one trailing line end; an empty file means no
    /// password (null). Returns false with a one-line reason, never the file's content, when the file
    /// is missing, unreadable, a directory, or holds more than one line.
    /// </summary>
    public static bool TryReadPasswordFile(string path, out string? password, out string? error)
    {
        password = null;
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            error = $"{path} cannot be read ({WhyUnreadable(path, e)})";
            return false;
        }
        if (text.EndsWith('\n'))
            text = text[..^1];
        if (text.EndsWith('\r'))
            text = text[..^1];
        if (text.AsSpan().IndexOfAny('\r', '\n') >= 0)
        {
            error = $"{path} holds more than one line; it must hold the password alone";
            return false;
        }
        error = null;
        password = text.Length == 0 ? null : text;
        return true;
    }

    /// <summary>
    /// <paramref name="configuration"/> (a StackExchange.Redis configuration string, parsable or not)
    /// with the value of every <c>password=</c> replaced by <see cref="Mask"/>, for log lines and error messages.
    /// </summary>
    public static string Redact(string configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var parts = configuration.Split(',');
        for (int i = 0; i < parts.Length; i++)
        {
            int eq = parts[i].IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && HoldsSecret(parts[i].AsSpan(0, eq).Trim()))
                parts[i] = parts[i][..(eq + 1)] + Mask;
        }
        return string.Join(',', parts);
    }

    /// <summary>Whether <paramref name="configuration"/> sets a password of its own (<c>password=</c> with a value).</summary>
    public static bool HasPassword(string configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (var part in configuration.Split(','))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0 && HoldsSecret(part.AsSpan(0, eq).Trim()) && part.AsSpan(eq + 1).Trim().Length > 0)
                return true;
        }
        return false;
    }

    // StackExchange.Redis's keywords are case-insensitive; "password" is the only secret among them.
    private static bool HoldsSecret(ReadOnlySpan<char> keyword) => keyword.Equals("password", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why a file could not be read, in a few words (the same for a password file and a key file).</summary>
    public static string WhyUnreadable(string path, Exception e) => e switch
    {
        _ when Directory.Exists(path) => "it is a directory",
        UnauthorizedAccessException => "permission denied",
        FileNotFoundException or DirectoryNotFoundException => "no such file",
        _ => e.Message,
    };
}
