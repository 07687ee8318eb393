namespace Presence.Core;

/// <summary>
/// The outcome of parsing a frame: <see cref="Ok"/>, or why the frame is malformed. A result
/// value rather than an exception, so that hostile input costs a compare, not a throw.
/// </summary>
public enum FrameStatus : byte
{
    Ok = 0,
    /// <summary>Shorter than the 6-byte header.</summary>
    TooShort,
    BadMagic,
    UnsupportedVersion,
    /// <summary>A flag bit other than SIGNED is set.</summary>
    UnknownFlags,
    ZeroCount,
    /// <summary>The count exceeds what the caller accepts (4096 on TCP).</summary>
    TooManyRecords,
    /// <summary>The length is not exactly 6 + count × record size (truncated or trailing bytes).</summary>
    LengthMismatch,
    ZeroUserId,
    InvalidKind,
    /// <summary>An unsigned record names a key id other than 0.</summary>
    UnsignedKeyId,
    /// <summary>A signed record gives time 0 ("unknown" is allowed only unsigned).</summary>
    SignedZeroTime,
    /// <summary>Longer than the transport allows (1472 bytes on UDP); set by the receiver, not the parser.</summary>
    TooLong,
}
