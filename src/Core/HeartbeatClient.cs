using System.Net;
using System.Net.Sockets;

namespace Presence.Core;

/// <summary>
/// What a device (or a test, or the load generator) uses to speak the protocol: builds its
/// frames, keeps its sequence number, signs when given a device key, and sends over UDP.
/// Not thread-safe: one per device.
/// </summary>
public sealed class HeartbeatClient : IDisposable
{
    private readonly byte[]? _deviceKey;
    private readonly byte _keyId;
    private readonly byte[] _buffer = new byte[FrameFormat.FrameSize(1, signed: true)];
    private Socket? _socket;

    /// <param name="userId">This device's user id (not 0).</param>
    /// <param name="deviceKey">The 32-byte device key it was provisioned with, or null to send unsigned frames.</param>
    /// <param name="keyId">Which master key the device key was derived from.</param>
    public HeartbeatClient(ulong userId, byte[]? deviceKey = null, byte keyId = 0)
    {
        ArgumentOutOfRangeException.ThrowIfZero(userId);
        if (deviceKey is not null && deviceKey.Length != Signing.DeviceKeySize)
            throw new ArgumentException($"A device key is {Signing.DeviceKeySize} bytes.", nameof(deviceKey));
        UserId = userId;
        _deviceKey = deviceKey;
        _keyId = deviceKey is null ? (byte)0 : keyId;
    }

    public ulong UserId { get; }

    /// <summary>The sequence number of the next record (wraps at 65535).</summary>
    public ushort NextSeq { get; set; }

    public bool IsSigned => _deviceKey is not null;

    /// <summary>Builds the next frame into <paramref name="destination"/>; returns its length.</summary>
    /// <param name="unixSeconds">The device's clock; 0 (unknown) is allowed only unsigned.</param>
    public int Build(Span<byte> destination, RecordKind kind, uint unixSeconds)
    {
        var record = new HeartbeatRecord(UserId, unixSeconds, NextSeq++, kind, _keyId);
        ReadOnlySpan<HeartbeatRecord> one = [record];
        return _deviceKey is null
            ? FrameWriter.WriteUnsigned(destination, one)
            : FrameWriter.WriteSigned(destination, one, _deviceKey);
    }

    /// <summary>Sends one heartbeat (or, with <see cref="RecordKind.Offline"/>, a sign-out) to <paramref name="server"/>.</summary>
    public void Send(EndPoint server, RecordKind kind = RecordKind.Heartbeat)
    {
        _socket ??= new Socket(server.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        int length = Build(_buffer, kind, (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        _socket.SendTo(_buffer.AsSpan(0, length), SocketFlags.None, server);
    }

    public void Dispose() => _socket?.Dispose();
}
