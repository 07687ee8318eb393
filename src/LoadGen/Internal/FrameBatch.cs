using System.Diagnostics;
using System.Runtime.CompilerServices;
using Presence.Core;

namespace Presence.LoadGen.Internal;

/// <summary>
/// A fixed pool of frame slots, one UDP frame each, that the builder fills and a sender sends in
/// one call. The slots live in one array on the pinned object heap, allocated once per run: a
/// sendmmsg batch points at them directly, with no pinning per call and no copy.
/// </summary>
internal sealed class FrameBatch
{
    /// <summary>Bytes a slot holds: the largest UDP frame (PROTOCOL.md).</summary>
    public const int SlotSize = FrameFormat.MaxUdpFrameSize;

    /// <summary>Frames per send call: past 64, sendmmsg gains little and a batch delays progress.</summary>
    public const int DefaultCapacity = 64;

    private readonly byte[] _buffer;
    private readonly int[] _lengths;
    private readonly int[] _records;
    private readonly bool[] _refused;

    public FrameBatch(int capacity = DefaultCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 1024); // sendmmsg's UIO_MAXIOV
        _buffer = GC.AllocateUninitializedArray<byte>(capacity * SlotSize, pinned: true);
        _lengths = new int[capacity];
        _records = new int[capacity];
        _refused = new bool[capacity];
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>Frames filled since the last <see cref="Clear"/>.</summary>
    public int Count { get; private set; }

    /// <summary>The whole of the next free slot, for a writer to fill; commit it with <see cref="Commit"/>.</summary>
    public Span<byte> NextSlot()
    {
        Debug.Assert(Count < Capacity);
        return _buffer.AsSpan(Count * SlotSize, SlotSize);
    }

    public void Commit(int length, int records)
    {
        Debug.Assert(length is > 0 and <= SlotSize);
        _lengths[Count] = length;
        _refused[Count] = false;
        _records[Count++] = records;
    }

    /// <summary>The sender could not send frame <paramref name="index"/> (a transient error, counted): its records never left.</summary>
    public void MarkRefused(int index)
    {
        Debug.Assert(index < Count);
        _refused[index] = true;
    }

    /// <summary>Frame <paramref name="index"/> was refused by the kernel in the last send (see <see cref="MarkRefused"/>).</summary>
    public bool IsRefused(int index) => _refused[index];

    public ReadOnlySpan<byte> Frame(int index)
    {
        Debug.Assert(index < Count);
        return _buffer.AsSpan(index * SlotSize, _lengths[index]);
    }

    public int Length(int index) => _lengths[index];

    /// <summary>Records in frame <paramref name="index"/>.</summary>
    public int Records(int index) => _records[index];

    /// <summary>Address of slot <paramref name="index"/>; stable for the batch's life (pinned heap).</summary>
    public unsafe byte* SlotPointer(int index) =>
        (byte*)Unsafe.AsPointer(ref _buffer[index * SlotSize]);

    public void Clear() => Count = 0;
}
