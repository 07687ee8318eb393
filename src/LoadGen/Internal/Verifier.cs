using System.Diagnostics;
using System.Globalization;
using Presence.Client;

namespace Presence.LoadGen.Internal;

/// <summary>
/// Checks expectations against the query service in batches, oldest first (they are the nearest
/// to expiring). Users not yet in the expected state are asked again every 200 ms for up to
/// <c>wait</c>: the ingester writes once per flush window, so the last users sent may land a
/// moment after the check starts. A user whose TTL ran out before it was confirmed is counted
/// <c>expired</c>, not missing.
/// </summary>
internal sealed class Verifier(PresenceClient client, int batchSize, TimeSpan wait)
{
    /// <summary>How many missing ids a result lists.</summary>
    public const int MissingListed = 10;

    private static readonly TimeSpan s_retryEvery = TimeSpan.FromMilliseconds(200);

    public async Task<VerifySummary> RunAsync(IEnumerable<Expectation> expectations, bool expectOnline, CancellationToken cancel)
    {
        var started = Stopwatch.StartNew();
        var pass = new Pass(client, batchSize, expectOnline);
        foreach (var e in expectations)
        {
            pass.Considered++;
            await pass.Add(e, cancel);
        }
        await pass.Flush(cancel);

        while (pass.Missing.Count > 0 && started.Elapsed < wait)
        {
            var left = wait - started.Elapsed;
            await Task.Delay(left < s_retryEvery ? left : s_retryEvery, cancel);
            var again = pass.Missing;
            pass.Missing = [];
            foreach (var e in again)
                await pass.Add(e, cancel);
            await pass.Flush(cancel);
        }

        long expected = pass.Considered - pass.Expired;
        long confirmed = expected - pass.Missing.Count;
        return new VerifySummary(
            Url: client.QueryEndpoint.ToString(),
            Expect: expectOnline ? "online" : "offline",
            Expected: expected,
            Online: expectOnline ? confirmed : pass.Missing.Count,
            Missing: pass.Missing.Count,
            MissingIds: [.. pass.Missing.Take(MissingListed).Select(e => e.UserId.ToString(CultureInfo.InvariantCulture))],
            Expired: pass.Expired,
            Ok: pass.Missing.Count == 0);
    }

    /// <summary>
    /// Gathers expectations into batches, asks, and sorts the answers into confirmed, expired and
    /// missing; the first round and every retry go through it.
    /// </summary>
    private sealed class Pass(PresenceClient client, int batchSize, bool expectOnline)
    {
        private readonly Expectation[] _batch = new Expectation[batchSize];
        private readonly ulong[] _ids = new ulong[batchSize];
        private int _count;

        public long Considered;
        public long Expired;
        public List<Expectation> Missing = [];

        public async Task Add(Expectation e, CancellationToken cancel)
        {
            _batch[_count++] = e;
            if (_count == _batch.Length)
                await Flush(cancel);
        }

        public async Task Flush(CancellationToken cancel)
        {
            if (_count == 0)
                return;
            for (int i = 0; i < _count; i++)
                _ids[i] = _batch[i].UserId;
            IReadOnlyList<UserPresence> answers;
            try
            {
                answers = await client.GetAsync(new ArraySegment<ulong>(_ids, 0, _count), cancel);
            }
            catch (PresenceException e)
            {
                throw new VerifyException(e.Message, e);
            }
            long nowMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            for (int i = 0; i < _count; i++)
            {
                if (answers[i].Online == expectOnline)
                    continue;
                if (_batch[i].UntilUnixMs <= nowMs)
                    Expired++;
                else
                    Missing.Add(_batch[i]);
            }
            _count = 0;
        }
    }
}
