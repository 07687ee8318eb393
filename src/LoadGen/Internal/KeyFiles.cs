using System.Globalization;
using System.Security.Cryptography;
using Presence.Core;

namespace Presence.LoadGen.Internal;

/// <summary>Master key files (<c>key_id:hex</c> a line, as <see cref="MasterKeyRing"/> reads them).</summary>
internal static class KeyFiles
{
    /// <summary>Reads and parses <paramref name="path"/>; a problem comes back as one line (never the key).</summary>
    public static bool TryLoad(string path, out MasterKeyRing ring, out string error)
    {
        ring = null!;
        try
        {
            ring = MasterKeyRing.Parse(File.ReadAllText(path));
            error = "";
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            error = $"--keys {path}: {e.Message}";
            return false;
        }
    }

    /// <summary>The key id that signs: the one asked for, else the highest (the newest, by rotation convention).</summary>
    public static bool TryChooseKeyId(MasterKeyRing ring, int? asked, out byte keyId, out string error)
    {
        error = "";
        if (asked is null)
        {
            keyId = ring.KeyIds.Max();
            return true;
        }
        keyId = (byte)asked.Value;
        if (ring.TryGet(keyId, out _))
            return true;
        error = $"--key-id: the key file has no key {asked} (it has {string.Join(", ", ring.KeyIds)})";
        return false;
    }

    /// <summary>
    /// Creates <paramref name="path"/> holding one new random master key. The file is created with
    /// mode 0600, so the key is never readable by others, not even for a moment; an existing file
    /// is refused rather than overwritten (it may hold keys in use).
    /// </summary>
    public static void WriteNew(string path, byte keyId)
    {
        Span<byte> key = stackalloc byte[Signing.MasterKeySize];
        RandomNumberGenerator.Fill(key);
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new StreamWriter(path, options))
        {
            file.Write("# Presence master key (PROTOCOL.md, signed records): key_id:hex\n");
            file.Write(keyId.ToString(CultureInfo.InvariantCulture));
            file.Write(':');
            file.Write(Convert.ToHexStringLower(key));
            file.Write('\n');
        }
        key.Clear();
    }

    /// <summary>The device key of <paramref name="userId"/> under <paramref name="keyId"/>, as lower-case hex.</summary>
    public static string DeriveHex(MasterKeyRing ring, byte keyId, ulong userId)
    {
        Span<byte> key = stackalloc byte[Signing.DeviceKeySize];
        ring.GetDeviceKey(userId, keyId, key);
        var hex = Convert.ToHexStringLower(key);
        key.Clear();
        return hex;
    }
}
