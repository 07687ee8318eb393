namespace Presence.Ingest.Internal.Intake;

/// <summary>
/// One user's anti-replay state (RFC 4303 style, over the 16-bit wrapping seq): the highest seq
/// seen and a 64-bit map of which of the 64 seqs at and below it were seen. Pure value logic,
/// tested apart from I/O.
/// </summary>
internal struct ReplayWindow
{
    public const int Width = 64;

    private ushort _highest;
    private ulong _seen; // bit i: seq (highest − i) was seen
    private bool _started;

    /// <summary>
    /// Accepts <paramref name="seq"/> and records it, or returns false for a replay: a seq at or
    /// below highest − 64, or one already seen inside the window. Seqs compare by serial
    /// arithmetic (RFC 1982), so the window survives the wrap at 65535.
    /// </summary>
    public bool TryAccept(ushort seq)
    {
        if (!_started)
        {
            _started = true;
            _highest = seq;
            _seen = 1;
            return true;
        }
        int ahead = (short)(ushort)(seq - _highest);
        if (ahead > 0)
        {
            _seen = ahead >= Width ? 1UL : (_seen << ahead) | 1UL;
            _highest = seq;
            return true;
        }
        int behind = -ahead;
        if (behind >= Width)
            return false;
        ulong bit = 1UL << behind;
        if ((_seen & bit) != 0)
            return false;
        _seen |= bit;
        return true;
    }
}
