namespace Presence.Core;

/// <summary>Supplies the device key that signs a record: a device has one, a gateway or the load generator many.</summary>
public interface IDeviceKeySource
{
    /// <summary>Writes the 32-byte device key of <paramref name="userId"/> under master key <paramref name="keyId"/>.</summary>
    void GetDeviceKey(ulong userId, byte keyId, Span<byte> destination);
}
