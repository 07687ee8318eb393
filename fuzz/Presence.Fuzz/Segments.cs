using System.Buffers;

namespace Presence.Fuzz;

/// <summary>Builds a multi-segment <see cref="ReadOnlySequence{T}"/>, as a pipe hands out bytes that arrived in pieces.</summary>
internal sealed class Segments : ReadOnlySequenceSegment<byte>
{
    private Segments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Build(ReadOnlySpan<byte> data, int segmentSize)
    {
        if (data.IsEmpty)
            return ReadOnlySequence<byte>.Empty;
        byte[] bytes = data.ToArray();
        var first = new Segments(bytes.AsMemory(0, Math.Min(segmentSize, bytes.Length)), 0);
        var last = first;
        for (int offset = segmentSize; offset < bytes.Length; offset += segmentSize)
        {
            var next = new Segments(bytes.AsMemory(offset, Math.Min(segmentSize, bytes.Length - offset)), offset);
            last.Next = next;
            last = next;
        }
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }
}
