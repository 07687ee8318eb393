using System.Buffers.Binary;
using Presence.LoadGen.Internal;

namespace Presence.Unit.Tests.LoadGen;

public sealed class LastSendLogTests
{
    [Fact]
    public void Note_RefusedFrameSkipped_LaterSendOverwrites_FileHoldsEachUsersLatestTime()
    {
        var schedule = new HeartbeatSchedule(100, 12, intervalSeconds: 1);
        var builder = new FrameBuilder(schedule, perFrame: 3);
        var log = new LastSendLog(100, 12);
        var batch = new FrameBatch();

        batch.Clear();
        builder.Build(batch, 4, LoadGenFrames.Now); // the first round: every user once
        var round = LoadGenFrames.Decode(batch);
        batch.MarkRefused(1);
        log.Note(batch, 1_000);

        var refused = round[1].Select(r => r.UserId).ToHashSet();
        for (int i = 0; i < 12; i++)
            Assert.Equal(refused.Contains(100 + (ulong)i) ? 0 : 1_000, log.SentMs(i));

        batch.Clear();
        builder.Build(batch, 2, LoadGenFrames.Now); // the second round's first 6 users, sent
        var again = LoadGenFrames.Decode(batch).SelectMany(f => f).Select(r => r.UserId).ToHashSet();
        Assert.False(batch.IsRefused(1)); // a new frame in a refused slot starts unrefused
        log.Note(batch, 2_000);

        var path = Path.GetTempFileName();
        try
        {
            log.WriteTo(path);
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(12 * 8, bytes.Length);
            for (int i = 0; i < 12; i++)
            {
                ulong user = 100 + (ulong)i;
                long expected = again.Contains(user) ? 2_000 : refused.Contains(user) ? 0 : 1_000;
                Assert.Equal(expected, BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8 * i)));
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
