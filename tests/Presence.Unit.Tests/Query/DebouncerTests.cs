using Presence.Core.Events;
using Presence.Query.Internal.Events;

namespace Presence.Unit.Tests.Query;

/// <summary>
/// A debounced stream's decisions (HTTP-API.md, "Debounce"), apart from the store and the node:
/// lines with the times the node read them in, events out.
/// </summary>
public sealed class DebouncerTests
{
    private static StreamItem On(long seq, ulong user, long atMs, long readMs) => StreamItem.Of(new EventLogLine(seq, TransitionKind.Online, user, atMs), readMs);

    private static StreamItem Off(long seq, ulong user, long atMs, long readMs, TransitionKind kind = TransitionKind.Signout) =>
        StreamItem.Of(new EventLogLine(seq, kind, user, atMs), readMs);

    private static string Show(IEnumerable<Delivery> deliveries) =>
        string.Join(" ", deliveries.Select(d => $"{(d.Line.IsOnline ? "on" : "off")}{d.Line.UserId}@{d.KeyMs}"));

    [Fact]
    public void FlapFasterThanDebounce_NeitherSent_TwoSuppressed()
    {
        var debouncer = new Debouncer(2);
        var sent = new List<Delivery>();
        debouncer.Offer(Off(1, 7, atMs: 10_000, readMs: 10_050), sent);
        Assert.Equal(1, debouncer.HeldCount);
        Assert.Equal(12_000, debouncer.NextDueMs);
        debouncer.Offer(On(2, 7, atMs: 11_000, readMs: 11_999), sent); // read 1 ms before the offline was due
        debouncer.ReleaseDue(60_000, sent);
        Assert.Empty(sent);
        Assert.Equal(2, debouncer.TakeSuppressed());
        Assert.Equal(0, debouncer.TakeSuppressed());
        Assert.Null(debouncer.NextDueMs);
    }

    [Fact]
    public void FlapSlowerThanDebounce_OfflineWhenDue_ThenOnline()
    {
        var debouncer = new Debouncer(2);
        var sent = new List<Delivery>();
        debouncer.Offer(Off(1, 7, atMs: 10_000, readMs: 10_050), sent);
        debouncer.ReleaseDue(11_999, sent);
        Assert.Empty(sent);
        debouncer.ReleaseDue(12_000, sent);
        Assert.Equal("off7@12000", Show(sent));
        debouncer.Offer(On(2, 7, atMs: 12_500, readMs: 12_600), sent);
        Assert.Equal("off7@12000 on7@12600", Show(sent));
        Assert.Equal(0, debouncer.Suppressed);
    }

    [Fact]
    public void OnlineReadExactlyWhenTheOfflineIsDue_BothSent_OfflineFirst()
    {
        var debouncer = new Debouncer(1);
        var sent = new List<Delivery>();
        debouncer.Offer(Off(1, 7, atMs: 5_000, readMs: 5_000), sent);
        debouncer.Offer(On(2, 7, atMs: 5_900, readMs: 6_000), sent); // not released by a clock yet: the line itself releases it
        Assert.Equal("off7@6000 on7@6000", Show(sent));
    }

    [Fact]
    public void OfflineReadLaterThanItsAtPlusDebounce_DueWhenRead()
    {
        var debouncer = new Debouncer(5);
        var sent = new List<Delivery>();
        debouncer.Offer(Off(1, 7, atMs: 1_000, readMs: 90_000, TransitionKind.Timeout), sent); // after a store outage
        Assert.Equal(90_000, debouncer.NextDueMs);
        debouncer.Offer(On(2, 7, atMs: 2_000, readMs: 90_000), sent); // the same read: not before it was due
        Assert.Equal("off7@90000 on7@90000", Show(sent));
    }

    [Fact]
    public void OtherUsersOnlines_ReadBeforeAHeldOfflineIsDue_GoFirst()
    {
        var debouncer = new Debouncer(2);
        var sent = new List<Delivery>();
        debouncer.Offer(Off(1, 1, atMs: 10_000, readMs: 10_010), sent);
        debouncer.Offer(On(2, 2, atMs: 10_500, readMs: 10_510), sent);
        debouncer.Offer(Off(3, 3, atMs: 11_000, readMs: 11_010), sent);
        debouncer.Offer(On(4, 4, atMs: 12_500, readMs: 12_510), sent); // after user 1's offline was due
        debouncer.ReleaseDue(13_000, sent);
        Assert.Equal("on2@10510 off1@12000 on4@12510 off3@13000", Show(sent));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(61)]
    [InlineData(-1)]
    public void OutsideOneToSixty_Refused(int seconds) => Assert.Throws<ArgumentOutOfRangeException>(() => new Debouncer(seconds));

    /// <summary>
    /// The resume promise: replaying the ring to any point of a stream's output (an event it sent,
    /// or its snapshot's place) and going on gives exactly what the stream sent after that point.
    /// Random histories of a few users: per user alternating lines, read times never going
    /// backwards, ats around the read times, the node's clock releasing held offlines between reads.
    /// </summary>
    [Fact]
    public void Replay_FromAnyPointTheStreamSent_GivesExactlyWhatFollowed()
    {
        var random = new Random(21);
        for (int round = 0; round < 300; round++)
        {
            int seconds = random.Next(1, 4);
            var items = new List<StreamItem>();
            var clocks = new List<(int AfterItems, long NowMs)>(); // the stream's ReleaseDue calls
            var online = new bool[6];
            long read = 1_000_000;
            for (long seq = 1; seq <= 60; seq++)
            {
                read += random.Next(0, 3) == 0 ? 0 : random.Next(1, 1_500);
                ulong user = (ulong)random.Next(1, 6);
                long at = read - random.Next(-200, 2_000);
                online[user] = !online[user];
                items.Add(online[user] ? On(seq, user, at, read) : Off(seq, user, at, read, TransitionKind.Timeout));
                if (random.Next(0, 4) == 0)
                {
                    long now = read + random.Next(0, 1_000);
                    clocks.Add((items.Count, now));
                    read = now; // later lines are read at or after the clock the stream saw
                }
            }

            // The live stream, with its points: (index in sent after which it stands, seq, key).
            var live = new Debouncer(seconds);
            var sent = new List<Delivery>();
            int clock = 0;
            for (int i = 0; i < items.Count; i++)
            {
                live.Offer(items[i], sent);
                while (clock < clocks.Count && clocks[clock].AfterItems == i + 1)
                    live.ReleaseDue(clocks[clock++].NowMs, sent);
            }
            live.ReleaseDue(long.MaxValue, sent);

            for (int p = 0; p < sent.Count; p++)
            {
                var point = sent[p];
                var replay = new Debouncer(seconds);
                var after = new List<Delivery>();
                replay.Replay(Window(items, point.KeyMs - replay.WindowMs, point.Line.Seq), point.Line.Seq, point.KeyMs, after);
                replay.ReleaseDue(long.MaxValue, after);
                Assert.True(Show(sent.Skip(p + 1)) == Show(after), $"round {round}, S {seconds}, after {Show([point])}: sent {Show(sent)}; replayed {Show(after)}");
            }
        }
    }

    /// <summary>What a node's ring gives a replay: the lines read from <paramref name="fromMs"/> on, and every one after <paramref name="afterSeq"/>.</summary>
    private static List<StreamItem> Window(List<StreamItem> items, long fromMs, long afterSeq) =>
        [.. items.Where(i => i.ReadMs >= fromMs || i.Line.Seq > afterSeq)];

    [Fact]
    public void Snapshot_AUserHeldAtItsPlace_ShownOnline_EvenWhenALineAfterItCancelsTheOffline()
    {
        // Found by the 30-minute fault run: the catch-up's online cancelled the held offline before the
        // snapshot was rendered, which then showed the user offline, and the stream sent neither event.
        var window = new List<StreamItem>
        {
            On(1, 7, atMs: 1_000, readMs: 1_010),
            Off(2, 7, atMs: 3_500, readMs: 3_510), // held at the snapshot's place (due 5_500)
            On(3, 8, atMs: 3_900, readMs: 4_000), // the snapshot's line
            On(4, 7, atMs: 4_500, readMs: 4_600), // after it: cancels user 7's offline
        };
        ulong[] ids = [7, 8];
        long[] values = [Presence.Core.LastSeen.LastSeenTime.EncodeOffline(3_000), 3_900];
        var catchUp = new List<Delivery>();
        var debouncer = new Debouncer(2);
        StreamStart.PlaceSnapshot(debouncer, window, seq: 3, pointMs: 4_000, ids, values, catchUp);
        Assert.Equal(3_000, values[0]); // online, its last seen as its time
        Assert.Empty(catchUp); // neither the offline nor the online is sent: the subscriber has the user online
        Assert.Equal(0, debouncer.HeldCount);
    }

    [Fact]
    public void Replay_ToASnapshotsPoint_HoldsWhatTheStreamHeld()
    {
        var window = new List<StreamItem>
        {
            Off(1, 1, atMs: 1_000, readMs: 1_010), // due 3_000: sent before the point
            Off(2, 2, atMs: 3_500, readMs: 3_510), // due 5_500: held at the point
            On(3, 3, atMs: 3_900, readMs: 4_000),
            On(4, 2, atMs: 4_500, readMs: 4_600), // after the point: cancels user 2's
        };
        var debouncer = new Debouncer(2);
        var after = new List<Delivery>();
        debouncer.Replay(window, pointSeq: 3, pointMs: 4_000, after);
        Assert.Empty(after);
        Assert.Equal(0, debouncer.HeldCount);
        Assert.Equal(2, debouncer.TakeSuppressed());

        debouncer = new Debouncer(2);
        debouncer.Replay(window[..3], pointSeq: 3, pointMs: 4_000, after);
        Assert.True(debouncer.IsHeld(2, out var held));
        Assert.Equal(2, held.Seq);
        Assert.False(debouncer.IsHeld(1, out _));
        Assert.Equal(0, debouncer.TakeSuppressed()); // nothing after the point yet; what came before is not counted again
    }
}
