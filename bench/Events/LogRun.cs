using System.Diagnostics;
using System.Globalization;
using Presence.Core;
using Presence.Core.Events;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Bench.Events;

/// <summary>
/// One run of the events log's capacity on one store node (issue 23, item 8). Every events key
/// carries one hash tag, so under a Redis Cluster one master holds the whole log: this measures how
/// many transitions a second that one node takes. <see cref="BenchOptions.LogAppenders"/> appenders,
/// each as an ingester's EventLogAppender does it (one Append call of 100 transitions in flight,
/// the same script and arguments, a PUBLISH wake after each answer), append as fast as the store
/// answers; each call brings 50 of the appender's users online and takes offline the 50 that came
/// online <see cref="BenchOptions.LogOnline"/> ÷ appenders users earlier (timeouts and sign-outs
/// in turn), so the log's online set holds <see cref="BenchOptions.LogOnline"/> users. <c>nodes</c>
/// presence-query nodes follow the log (one stream opened on each starts its feed). Over the window:
/// transitions appended a second (the log's sequence number), redis-server's CPU, each node's CPU
/// and how far its feed is behind the log at the end. Nothing here sends heartbeats: the presence
/// keys' own writes (SET … GET, expiry GETs) go to the masters their keys hash to, not necessarily
/// this one.
/// </summary>
internal static class LogRun
{
    private const int Half = EventLogAppenderBatch / 2;
    private const int EventLogAppenderBatch = 100; // EventLogAppender.BatchSize
    private const long TtlMs = BenchOptions.Ttl * 1000L;
    private const long RetentionMs = 300_000; // --events-retention-seconds' default

    public static async Task<LogResult> RunAsync(Services services, RedisProbe redis, int redisPort, int redisPid, int nodes, BenchOptions options, int run)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"== events log capacity, {nodes} query node(s), run {run} of {options.Repeat}: {options.LogAppenders} appenders × 1 call of {EventLogAppenderBatch:N0} transitions in flight, {options.LogOnline:N0} users online in the log, window {options.LogWindow} s"));
        await redis.FlushAllAsync();
        if (options.LogListpack > 0)
            await redis.ConfigSetAsync("hash-max-listpack-entries", options.LogListpack.ToString(CultureInfo.InvariantCulture));
        var keys = new EventLogKeys(PresenceKeys.DefaultPrefix);
        var appenders = new List<Appender>();
        var queries = new List<(ChildProcess Child, int Http)>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(services.Interrupt);
        try
        {
            int perAppender = options.LogOnline / options.LogAppenders / Half * Half;
            for (int a = 0; a < options.LogAppenders; a++)
                appenders.Add(await Appender.ConnectAsync(redisPort, keys, firstId: 1 + (ulong)a * (ulong)(perAppender + Half) * 2, perAppender));
            // Warm-up: every appender's users online (the log's online set full), then the steady mix.
            var fillClock = Stopwatch.StartNew();
            var fillRedis0 = ProcessSample.Take(redisPid);
            await Task.WhenAll(appenders.Select(a => a.FillAsync(stop.Token)));
            double fillSeconds = fillClock.Elapsed.TotalSeconds;
            double fillRedisUs = ProcessSample.Take(redisPid).CpuSecondsSince(fillRedis0) * 1e6;
            long filled = await redis.LogLastSeqAsync();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  onlines alone (the fill): {filled / fillSeconds:N0}/s, {fillRedisUs / filled:0.00} µs of redis CPU each"));
            var (onlineSet, encoding) = await redis.OnlineSetUsageAsync();
            long used = await redis.UsedMemoryAsync();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  online set filled: {filled:N0} lines; used_memory {used:N0} bytes, {(double)onlineSet / options.LogOnline:0.0} bytes an online user in the online set ({encoding} hashes), {(double)(used - onlineSet) / filled:0.0} bytes a line and the rest"));
            for (int n = 0; n < nodes; n++)
            {
                var node = await services.StartQueryAsync(1);
                await services.SubscribeOnceAsync(node.HttpPort);
                queries.Add(node);
            }
            var running = appenders.Select(a => a.RunAsync(stop.Token)).ToArray();
            await services.WaitAsync(TimeSpan.FromSeconds(3), [.. queries.Select(q => q.Child)]); // the mix under way, the feeds following

            long seq0 = await redis.LogLastSeqAsync();
            var redis0 = ProcessSample.Take(redisPid);
            var self0 = ProcessSample.Take(Environment.ProcessId);
            var nodes0 = queries.Select(q => ProcessSample.Take(q.Child.Pid)).ToArray();
            var clock = Stopwatch.StartNew();
            await services.WaitAsync(TimeSpan.FromSeconds(options.LogWindow), [.. queries.Select(q => q.Child)]);
            long seq1 = await redis.LogLastSeqAsync();
            double seconds = clock.Elapsed.TotalSeconds;
            var redis1 = ProcessSample.Take(redisPid);
            var self1 = ProcessSample.Take(Environment.ProcessId);
            var nodes1 = queries.Select(q => ProcessSample.Take(q.Child.Pid)).ToArray();
            // Each node's feed position, then the log's end: how far behind it was, at most.
            var positions = new List<double>();
            foreach (var (_, http) in queries)
                positions.Add((await MetricsPage.ScrapeAsync(http))["presence_event_feed_position"]);
            long end = await redis.LogLastSeqAsync();
            var behind = positions.Select(p => Math.Max(0, end - p)).ToList();

            await stop.CancelAsync();
            await Task.WhenAll(running);
            long appended = await redis.LogLastSeqAsync();
            // How long the slowest node takes to read the log to its end once appending stopped.
            var catchUp = Stopwatch.StartNew();
            foreach (var (_, http) in queries)
            {
                await Eventually.Until(async () => (await MetricsPage.ScrapeAsync(http))["presence_event_feed_position"] >= appended,
                    $"the query node on {http} reads the log to its end ({appended:N0})", TimeSpan.FromSeconds(120));
            }
            var result = new LogResult(nodes, run, (seq1 - seq0) / seconds, redis1.CpuSecondsSince(redis0) / seconds,
                self1.CpuSecondsSince(self0) / seconds,
                nodes == 0 ? 0 : nodes1.Zip(nodes0, (after, before) => after.CpuSecondsSince(before)).Average() / seconds,
                behind.Count == 0 ? 0 : behind.Max(), nodes == 0 ? 0 : catchUp.Elapsed.TotalSeconds,
                appenders.Sum(a => a.Failures))
            {
                OnlineSetBytesPerUser = (double)onlineSet / options.LogOnline,
                OnlineSetEncoding = encoding,
            };
            Console.WriteLine($"  {result}");
            return result;
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var (child, _) in queries)
                child.Stop(TimeSpan.FromSeconds(10));
            foreach (var appender in appenders)
                await appender.DisposeAsync();
        }
    }

    /// <summary>One appender: an ingester's events-log writer over users of its own.</summary>
    private sealed class Appender(ConnectionMultiplexer mux, EventLogKeys keys, ulong firstId, int online) : IAsyncDisposable
    {
        private readonly IDatabase _database = mux.GetDatabase();
        private readonly RedisKey[] _scriptKeys = [keys.Seq, keys.Log, keys.Epoch];
        private readonly RedisChannel _wake = RedisChannel.Literal(keys.WakeChannel);
        private readonly int _ring = online + Half; // users: first id … first id + ring − 1
        private int _next; // the next user (ring index) to come online

        public int Failures { get; private set; }

        public static async Task<Appender> ConnectAsync(int port, EventLogKeys keys, ulong firstId, int online) =>
            new(await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},syncTimeout=30000,asyncTimeout=30000"), keys, firstId, online);

        /// <summary>Brings the first <c>online</c> users online, a call of 1,000 at a time.</summary>
        public async Task FillAsync(CancellationToken stop)
        {
            while (_next < _ring - Half)
            {
                stop.ThrowIfCancellationRequested();
                int count = Math.Min(EventLogAppenderBatch, _ring - Half - _next);
                var call = new EventLogAppendCall(keys, count, TtlMs);
                long at = NowMs();
                for (int i = 0; i < count; i++)
                    call.Add(TransitionKind.Online, Id(_next + i), at);
                await AppendAsync(call);
                _next += count;
            }
        }

        /// <summary>Calls of 50 onlines and 50 offlines until <paramref name="stop"/>.</summary>
        public async Task RunAsync(CancellationToken stop)
        {
            bool timeout = true;
            while (!stop.IsCancellationRequested)
            {
                var call = new EventLogAppendCall(keys, 2 * Half, TtlMs);
                long at = NowMs();
                int oldest = (_next + Half) % _ring; // online the longest: the ring's users after the next block
                for (int i = 0; i < Half; i++)
                    call.Add(timeout ? TransitionKind.Timeout : TransitionKind.Signout, Id((oldest + i) % _ring), at);
                for (int i = 0; i < Half; i++)
                    call.Add(TransitionKind.Online, Id((_next + i) % _ring), at);
                await AppendAsync(call);
                _next = (_next + Half) % _ring;
                timeout = !timeout;
            }
        }

        private ulong Id(int index) => firstId + (ulong)index;

        private static long NowMs() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        private async Task AppendAsync(EventLogAppendCall call)
        {
            var args = Array.ConvertAll(call.Arguments(trimBeforeMs: NowMs() - RetentionMs, NowMs()), a => (RedisValue)a);
            try
            {
                var result = await _database.ScriptEvaluateAsync(EventLogScripts.Append, _scriptKeys, args);
                long last = EventLogAppendCall.Decode((string?[])result!).LastSeq;
                _database.Publish(_wake, last, CommandFlags.FireAndForget);
            }
            catch (RedisException)
            {
                Failures++;
            }
            catch (TimeoutException)
            {
                Failures++;
            }
        }

        public async ValueTask DisposeAsync() => await mux.DisposeAsync();
    }
}
