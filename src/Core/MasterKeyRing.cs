using System.Globalization;

namespace Presence.Core;

/// <summary>
/// Master keys by key id, as read from a key file: one <c>key_id:hex</c> a line (key id 0..255,
/// 32 bytes of key as 64 hex digits); blank lines and lines starting with # are ignored.
/// Several ids at once let keys be rotated.
/// </summary>
public sealed class MasterKeyRing : IDeviceKeySource
{
    private readonly byte[]?[] _keys = new byte[]?[256];
    private readonly DeviceKeyDeriver?[] _derivers = new DeviceKeyDeriver?[256];

    public IEnumerable<byte> KeyIds
    {
        get
        {
            for (int i = 0; i < _keys.Length; i++)
                if (_keys[i] is not null)
                    yield return (byte)i;
        }
    }

    public int Count => _keys.Count(k => k is not null);

    public void Add(byte keyId, ReadOnlySpan<byte> masterKey)
    {
        if (masterKey.Length != Signing.MasterKeySize)
            throw new ArgumentException($"A master key is {Signing.MasterKeySize} bytes, not {masterKey.Length}.", nameof(masterKey));
        if (_keys[keyId] is not null)
            throw new ArgumentException($"Key id {keyId} is given twice.", nameof(keyId));
        _keys[keyId] = masterKey.ToArray();
        _derivers[keyId] = new DeviceKeyDeriver(masterKey);
    }

    public bool TryGet(byte keyId, out ReadOnlySpan<byte> masterKey)
    {
        var key = _keys[keyId];
        masterKey = key;
        return key is not null;
    }

    /// <summary>The device-key deriver of master key <paramref name="keyId"/>, if there is one.</summary>
    public bool TryGetDeriver(byte keyId, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DeviceKeyDeriver? deriver)
    {
        deriver = _derivers[keyId];
        return deriver is not null;
    }

    public void GetDeviceKey(ulong userId, byte keyId, Span<byte> destination)
    {
        if (!TryGetDeriver(keyId, out var deriver))
            throw new KeyNotFoundException($"No master key with id {keyId}.");
        deriver.Derive(userId, destination);
    }

    /// <summary>Parses key-file text; throws <see cref="FormatException"/> naming the bad line (never the key).</summary>
    public static MasterKeyRing Parse(string text)
    {
        var ring = new MasterKeyRing();
        int lineNumber = 0;
        foreach (var raw in text.Split('\n'))
        {
            lineNumber++;
            var line = raw.Trim();
            if (line.Length == 0 || line[0] == '#')
                continue;
            int colon = line.IndexOf(':');
            if (colon <= 0
                || !byte.TryParse(line.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out byte id))
                throw new FormatException($"line {lineNumber}: expected key_id:hex with a key id from 0 to 255");
            var hex = line.AsSpan(colon + 1).Trim();
            if (hex.Length != Signing.MasterKeySize * 2)
                throw new FormatException($"line {lineNumber}: key {id} must be {Signing.MasterKeySize * 2} hex digits, not {hex.Length}");
            byte[] key;
            try
            {
                key = Convert.FromHexString(hex);
            }
            catch (FormatException)
            {
                throw new FormatException($"line {lineNumber}: key {id} is not hexadecimal");
            }
            if (ring._keys[id] is not null)
                throw new FormatException($"line {lineNumber}: key id {id} is given twice");
            ring.Add(id, key);
        }
        if (ring.Count == 0)
            throw new FormatException("no keys: expected at least one key_id:hex line");
        return ring;
    }
}
