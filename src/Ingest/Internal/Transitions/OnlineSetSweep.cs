using System.Globalization;
using System.Threading.Channels;
using Presence.Core;
using Presence.Core.Events;
using Presence.Ingest.Internal.Infrastructure;
using StackExchange.Redis;

namespace Presence.Ingest.Internal.Transitions;

/// <summary>
/// Once, when the ingester starts: reads every user the events log has online (its online set)
/// with the user's key, so nobody is left online in the log with no ingester watching for the
/// expiry — after an ingester crashed (no hand-over), or when all ingesters were down. A user
/// whose key exists is adopted by the expiry tracker (with the key's receive time: if another
/// ingester writes it, the first check finds a newer value and lets go); a user whose key is gone
/// gets its offline (timeout) line, <c>at</c> = when it is appended, since its last receive time is
/// lost with the key; that line ends only the online period the sweep read (another ingester may
/// have begun a new one meanwhile, whose online reaches the log first). Paced (<see cref="UsersPerSecond"/>) so the store serves
/// heartbeats first.
/// </summary>
internal sealed class OnlineSetSweep
{
    public const int UsersPerSecond = 50_000;
    private const int BucketsPerRound = 64;

    private readonly IDatabase _database;
    private readonly byte[] _prefix;
    private readonly EventLogKeys _keys;
    private readonly TimeProvider _time;
    private readonly TimeSpan _answerWithin;
    private readonly Channel<SweptUser> _found = Channel.CreateBounded<SweptUser>(new BoundedChannelOptions(65_536)
    {
        SingleReader = true, // the flusher thread
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait, // the sweep waits for the flusher, nothing is dropped
    });

    /// <param name="answerWithin">How long a round's store reads are waited for before the round is tried again (default <see cref="AnswerBound.Default"/>).</param>
    public OnlineSetSweep(IDatabase database, string prefix, TimeProvider time, TimeSpan? answerWithin = null)
    {
        _answerWithin = answerWithin ?? AnswerBound.Default;
        _database = database;
        _prefix = PresenceKeys.EncodePrefix(prefix);
        _keys = new EventLogKeys(prefix);
        _time = time;
    }

    /// <summary>What the sweep found, for the flusher thread to take (<see cref="ExpiryWatcher.TakeSwept"/>).</summary>
    public ChannelReader<SweptUser> Found => _found.Reader;

    /// <summary>Users looked at so far.</summary>
    public long Swept { get; private set; }

    public async Task RunAsync(CancellationToken stop)
    {
        var backoff = new Backoff(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
        long started = _time.GetTimestamp();
        try
        {
            for (int first = 0; first < EventLogKeys.Buckets;)
            {
                try
                {
                    await SweepAsync(first, Math.Min(BucketsPerRound, EventLogKeys.Buckets - first), stop).ConfigureAwait(false);
                    first += BucketsPerRound;
                    backoff.Succeed();
                }
                catch (Exception e) when (!(e is OperationCanceledException && stop.IsCancellationRequested)) // any failure of the store client (EventLogAppender: it throws more than RedisException)
                {
                    await Task.Delay(backoff.Fail(), _time, stop).ConfigureAwait(false); // the same buckets again
                    continue;
                }
                // Pace: no faster than UsersPerSecond on average since the start.
                var due = TimeSpan.FromSeconds(Swept / (double)UsersPerSecond) - _time.GetElapsedTime(started);
                if (due > TimeSpan.Zero)
                    await Task.Delay(due, _time, stop).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            _found.Writer.TryComplete();
        }
    }

    private async Task SweepAsync(int firstBucket, int count, CancellationToken stop)
    {
        var reads = new Task<HashEntry[]>[count];
        for (int i = 0; i < count; i++)
            reads[i] = _database.HashGetAllAsync(_keys.OnlinePrefix + (firstBucket + i).ToString(CultureInfo.InvariantCulture));
        await Task.WhenAll(reads).WaitAsync(_answerWithin, stop).ConfigureAwait(false);
        var users = new List<ulong>();
        var since = new List<long>();
        foreach (var read in reads)
        {
            foreach (var entry in read.Result)
            {
                if (ulong.TryParse((string?)entry.Name, NumberStyles.None, CultureInfo.InvariantCulture, out ulong user) && user != 0)
                {
                    users.Add(user);
                    since.Add(entry.Value.TryParse(out long at) && at >= 0 ? at : SweptUser.Unknown);
                }
            }
        }
        if (users.Count == 0)
            return;
        var values = new Task<RedisValue>[users.Count];
        for (int i = 0; i < users.Count; i++)
            values[i] = _database.StringGetAsync(PresenceKeys.ToKey(_prefix, users[i]));
        await Task.WhenAll(values).WaitAsync(_answerWithin, stop).ConfigureAwait(false);
        for (int i = 0; i < users.Count; i++)
        {
            long written = values[i].Result.IsNull ? SweptUser.KeyGone
                : values[i].Result.TryParse(out long ms) ? ms : SweptUser.KeyGone;
            await _found.Writer.WriteAsync(new SweptUser(users[i], written, since[i]), stop).ConfigureAwait(false);
        }
        Swept += users.Count;
    }
}
