using System.Globalization;
using Presence.Bench.Faults.History;
using StackExchange.Redis;

namespace Presence.Bench.Faults.Run;

/// <summary>
/// Reads every judged user's key value and <c>PEXPIRETIME</c> in one pipelined round trip every
/// ~500 ms (<see cref="StoreSample"/>, <c>AtMs</c> taken just before the commands are sent, so a key
/// seen existing existed at AtMs or later). A round that fails (the store away) is left out.
/// </summary>
internal sealed class Sampler(Store store, IReadOnlyList<ulong> users)
{
    // Value and expiry read together, atomically: a write between two separate commands would pair one write's value with another's expiry.
    private const string ReadKey = "return {redis.call('GET', KEYS[1]), redis.call('PEXPIRETIME', KEYS[1])}";

    private static readonly TimeSpan s_roundTimeout = TimeSpan.FromSeconds(10);

    private readonly List<StoreSample> _samples = [];
    private readonly RedisKey[] _keys = [.. users.Select(u => (RedisKey)("presence:" + u.ToString(CultureInfo.InvariantCulture)))];

    public int Rounds { get; private set; }
    public int FailedRounds { get; private set; }

    public IReadOnlyList<StoreSample> Samples
    {
        get
        {
            lock (_samples)
                return [.. _samples];
        }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        try
        {
            while (await timer.WaitForNextTickAsync(stop))
                await RoundAsync(stop);
        }
        catch (OperationCanceledException)
        {
            // the end of the run
        }
    }

    private async Task RoundAsync(CancellationToken stop)
    {
        long at = Clock.NowMs;
        var reads = new Task<RedisResult>[_keys.Length];
        try
        {
            var batch = store.Db.CreateBatch();
            for (int i = 0; i < _keys.Length; i++)
                reads[i] = batch.ScriptEvaluateAsync(ReadKey, [_keys[i]]);
            batch.Execute();
            // Bounded: the second 30-minute run hung at its end on one of these tasks, which
            // StackExchange.Redis never completed (nor timed out) after a fault tore its connection down.
            await Task.WhenAll(reads).WaitAsync(s_roundTimeout, stop);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception)
        {
            // Any failure of a round, not only the store's own exception types: the 30-minute run
            // ended on StackExchange.Redis' "Reading is not allowed after reader was completed" from a
            // connection torn down by a fault. A round the store cannot answer is left out.
            FailedRounds++;
            foreach (var t in reads)
                _ = t?.ContinueWith(r => r.Exception, TaskScheduler.Default); // observed, also when it ends later
            return;
        }
        var round = new List<StoreSample>(_keys.Length);
        for (int i = 0; i < _keys.Length; i++)
        {
            var pair = (RedisResult[])reads[i].Result!;
            var value = (RedisValue)pair[0];
            long expire = (long)pair[1];
            long? valueMs = value.IsNull ? null : long.Parse((string)value!, CultureInfo.InvariantCulture);
            long? expireAt = expire == -2 ? null : expire;
            round.Add(new StoreSample(at, ulong.Parse(((string)_keys[i]!)["presence:".Length..], CultureInfo.InvariantCulture), valueMs, expireAt));
        }
        lock (_samples)
            _samples.AddRange(round);
        Rounds++;
    }
}
