using Presence.LoadGen.Internal;

namespace Presence.Unit.Tests.LoadGen;

/// <summary>Decodes what a <see cref="FrameBuilder"/> put in a batch, with the project's own parser.</summary>
internal static class LoadGenFrames
{
    public const uint Now = 1_764_270_000;

    /// <summary>Every frame of the batch, parsed (asserting each is well formed), as its records.</summary>
    public static List<HeartbeatRecord[]> Decode(FrameBatch batch)
    {
        var frames = new List<HeartbeatRecord[]>();
        for (int i = 0; i < batch.Count; i++)
        {
            var status = FrameParser.TryParse(batch.Frame(i), out var frame, FrameFormat.MaxUdpUnsignedRecords);
            Assert.Equal(FrameStatus.Ok, status);
            Assert.True(batch.Frame(i).Length <= FrameFormat.MaxUdpFrameSize);
            Assert.Equal(frame.Count, batch.Records(i));
            var records = new HeartbeatRecord[frame.Count];
            for (int r = 0; r < frame.Count; r++)
                records[r] = frame[r];
            frames.Add(records);
        }
        return frames;
    }

    /// <summary>Builds <paramref name="frames"/> frames in batches and decodes them all.</summary>
    public static List<HeartbeatRecord> BuildAll(FrameBuilder builder, int frames)
    {
        var batch = new FrameBatch();
        var records = new List<HeartbeatRecord>();
        while (frames > 0)
        {
            int n = Math.Min(frames, batch.Capacity);
            batch.Clear();
            builder.Build(batch, n, Now);
            records.AddRange(Decode(batch).SelectMany(f => f));
            frames -= n;
        }
        return records;
    }
}
