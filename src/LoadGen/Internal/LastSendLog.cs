using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Presence.Core;

namespace Presence.LoadGen.Internal;

/// <summary>
/// Each user's latest heartbeat send time (<c>--last-sent FILE</c>), so a benchmark can tell, user
/// by user, whether the store holds that heartbeat: a stored time older than the user's last
/// send means its latest heartbeat was lost. The time noted is the wall clock (Unix ms) read just
/// before the send call, so a receiver on the same clock stamps each delivered record at or after
/// it. Frames the kernel refused are not noted: they never left, and are counted as errors.
/// </summary>
/// <remarks>
/// 8 bytes a user (80 MB at 10 million). The users of a sent batch are read back from its frames
/// (<see cref="FrameParser"/>) rather than threaded through the builder: only this option pays,
/// about a microsecond per frame.
/// </remarks>
internal sealed class LastSendLog
{
    private readonly ulong _firstId;
    private readonly long[] _sentMs;

    public LastSendLog(ulong firstId, int users)
    {
        _firstId = firstId;
        _sentMs = new long[users];
    }

    /// <summary>Notes <paramref name="unixMs"/> for every heartbeat record of every frame of <paramref name="batch"/> the sender did not refuse.</summary>
    public void Note(FrameBatch batch, long unixMs)
    {
        for (int f = 0; f < batch.Count; f++)
        {
            if (batch.IsRefused(f))
                continue;
            var status = FrameParser.TryParse(batch.Frame(f), out var frame, FrameFormat.MaxUdpUnsignedRecords);
            System.Diagnostics.Debug.Assert(status == FrameStatus.Ok, "the builder writes valid frames");
            for (int r = 0; r < frame.Count; r++)
            {
                var record = frame[r];
                ulong index = record.UserId - _firstId;
                if (record.Kind == RecordKind.Heartbeat && index < (ulong)_sentMs.Length)
                    _sentMs[index] = unixMs;
            }
        }
    }

    /// <summary>The latest send time of the user at <paramref name="index"/> (id − first id), 0 when never sent.</summary>
    public long SentMs(int index) => _sentMs[index];

    /// <summary>
    /// Writes the file: one little-endian int64 per user, in id order from the first id (user
    /// <c>first + i</c> at byte <c>8·i</c>), the Unix ms of its last heartbeat send, 0 when never sent.
    /// </summary>
    public void WriteTo(string path)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        if (BitConverter.IsLittleEndian)
        {
            file.Write(MemoryMarshal.AsBytes(_sentMs.AsSpan()));
            return;
        }
        Span<byte> eight = stackalloc byte[8];
        foreach (long ms in _sentMs)
        {
            BinaryPrimitives.WriteInt64LittleEndian(eight, ms);
            file.Write(eight);
        }
    }
}
