using System.Buffers;

namespace Presence.Unit.Tests;

/// <summary>Multi-segment sequences, as a pipe holds bytes that arrived in pieces.</summary>
internal static class TestSequences
{
    /// <summary>One segment per piece, in order.</summary>
    public static ReadOnlySequence<byte> Of(params ReadOnlyMemory<byte>[] pieces)
    {
        var first = new Segment(pieces[0], 0);
        var last = first;
        foreach (var piece in pieces.Skip(1))
            last = last.Append(piece);
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary><paramref name="bytes"/> cut into segments of <paramref name="chunk"/> bytes (the last may be shorter).</summary>
    public static ReadOnlySequence<byte> Chunked(byte[] bytes, int chunk) =>
        Of(Enumerable.Range(0, (bytes.Length + chunk - 1) / chunk)
            .Select(i => (ReadOnlyMemory<byte>)bytes.AsMemory(i * chunk, Math.Min(chunk, bytes.Length - i * chunk)))
            .ToArray());

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
