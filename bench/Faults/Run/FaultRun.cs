using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Presence.Bench.Faults.History;
using Presence.Testing;

namespace Presence.Bench.Faults.Run;

/// <summary>
/// One fault-schedule run: starts the store and the services, the sender, the subscribers, the
/// sampler and the log reader, injects the seeded schedule, settles, records the final state and
/// returns the history (docs/FAULTS.md).
/// </summary>
internal sealed class FaultRun(FaultsOptions options, string binaries, CancellationToken cancel)
{
    private const ulong BackgroundFirstId = 10_000_001;

    private static readonly HttpClient s_http = new(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(10) };

    // This run's network namespace while it exists, for the way out on process exit.
    private static NetNs? s_netns;

    /// <summary>Notes of the run itself (not violations): partitions skipped, log gaps, a wait that ran out.</summary>
    public List<string> Notes { get; } = [];

    public async Task<RunHistory> RunAsync()
    {
        int seed = options.EffectiveSeed;
        var random = new Random(seed);
        int ttlSeconds = options.Quick ? 3 : 10;
        long ttlMs = ttlSeconds * 1000L;
        long startedMs = Clock.NowMs;
        var users = Enumerable.Range(1, options.EffectiveUsers).Select(i => (ulong)i).ToList();

        StaleRuns.Clean();
        string runDir = StaleRuns.Own();
        NetNs? netns = null;
        string? noPartition = options.NoPartition ? "--no-partition" : NetNs.Unavailable();
        if (noPartition is null)
        {
            NetNs.CleanStale();
            netns = NetNs.Create();
            s_netns = netns;
            Console.WriteLine($"network namespace {netns.Name}: redis-server at {netns.InnerAddress}, reached over {netns.HostLink} ({netns.HostAddress})");
        }
        else
        {
            Notes.Add($"partitions skipped: {noPartition}");
            Console.WriteLine($"partitions skipped: {noPartition}");
        }
        try
        {
            await using var store = await Store.StartAsync(runDir, options.Cluster, netns, cancel);
            string redis = store.ServiceConfiguration;
            int udp = FreePort.Udp();
            string? logs = options.History is null ? null : options.History + ".logs"; // every service's output beside the history
            var ingesters = new[] { Service.Ingest("ingest-1", binaries, udp, redis, ttlSeconds, logs), Service.Ingest("ingest-2", binaries, udp, redis, ttlSeconds, logs) };
            var queries = new[] { Service.Query("query-1", binaries, redis, logs), Service.Query("query-2", binaries, redis, logs) };
            await Task.WhenAll(ingesters.Concat(queries).Select(s => s.StartAsync(cancel)));
            Console.WriteLine($"services ready after {(Clock.NowMs - startedMs) / 1000.0:0.0} s");

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
            using var sender = new Sender(users, udp, ttlMs, random.Next());
            var sampler = new Sampler(store, users);
            var log = new LogReader(store, users.ToHashSet());
            var drops = new DropWatch(ingesters);
            var clients = new List<StreamClient>();
            int watch = Math.Min(options.Quick ? 25 : 50, users.Count);
            for (int i = 0; i < options.EffectiveSubscribers; i++)
            {
                var watched = users.OrderBy(_ => random.Next()).Take(watch).Order().ToList();
                bool slow = i % 8 == 7;
                clients.Add(new StreamClient(i + 1, watched, queries, slow, options.Quick, random.Next(), DebounceOf(i)));
            }
            var reading = Task.Run(() => log.RunAsync(stop.Token));
            var background = new List<Task>
            {
                Task.Run(() => sender.RunAsync(stop.Token)),
                Task.Run(() => sampler.RunAsync(stop.Token)),
                reading,
                Task.Run(() => drops.RunAsync(stop.Token)),
            };
            background.AddRange(clients.Select(c => Task.Run(() => c.RunAsync(stop.Token))));
            ChildProcess? loadgen = null;
            if (options.EffectiveBackground > 0)
            {
                loadgen = ChildProcess.StartFile("presence-loadgen", "dotnet", Path.Combine(binaries, "presence-loadgen.dll"),
                    "--target", $"127.0.0.1:{udp}", "--users", options.EffectiveBackground.ToString(CultureInfo.InvariantCulture),
                    "--first-id", BackgroundFirstId.ToString(CultureInfo.InvariantCulture), "--interval", "1", "--duration", "0",
                    "--churn", "0.2", "--churn-active", (2 * ttlSeconds).ToString(CultureInfo.InvariantCulture),
                    "--churn-silent", (ttlSeconds + 2).ToString(CultureInfo.InvariantCulture), "--churn-signout", "0.5", "--ttl", ttlSeconds.ToString(CultureInfo.InvariantCulture));
            }

            // Warm-up: every subscriber has its first snapshot.
            await Clock.UntilAsync(() => Task.FromResult(clients.All(c => c.Sessions.Any(s => s.ToRecord().Items.Count > 0))),
                TimeSpan.FromSeconds(60), "every subscriber's first snapshot", cancel, 200);
            await Task.Delay(TimeSpan.FromSeconds(options.Quick ? 2 : 10), cancel);

            var faults = new Faults(store, ingesters, queries, sender, random, netns is not null, options.Quick, cancel);
            if (options.Quick)
            {
                var plan = new List<(FaultKind, Service?)>
                {
                    (FaultKind.Kill, ingesters[random.Next(2)]), (FaultKind.Kill, queries[random.Next(2)]),
                    (FaultKind.Term, ingesters[random.Next(2)]), (FaultKind.Term, queries[random.Next(2)]),
                };
                plan.AddRange(faults.Kinds.Where(k => k is not (FaultKind.Kill or FaultKind.Term)).Select(k => (k, (Service?)null)));
                foreach (var (kind, target) in plan.OrderBy(_ => random.Next()).ToList())
                {
                    loadgen?.ThrowIfExited();
                    await faults.InjectAsync(kind, target);
                    await Task.Delay(500 + random.Next(500), cancel);
                }
            }
            else
            {
                var until = DateTime.UtcNow.AddSeconds(options.EffectiveDuration);
                var kinds = faults.Kinds;
                while (DateTime.UtcNow < until)
                {
                    loadgen?.ThrowIfExited();
                    await Task.Delay(2000 + random.Next(13_000), cancel);
                    if (DateTime.UtcNow >= until)
                        break;
                    await faults.InjectAsync(kinds[random.Next(kinds.Count)]);
                }
            }
            long lastFaultEnded = faults.Records.Count > 0 ? faults.Records.Max(f => f.EndMs) : Clock.NowMs;
            Console.WriteLine($"faults done: {faults.Records.Count} in {(Clock.NowMs - startedMs) / 1000.0:0.0} s; settling");

            // The end: no more faults or churn; silent users pass their ttl; every open session catches up with the log.
            sender.StopChurn();
            if (loadgen is not null)
                loadgen.Stop(TimeSpan.Zero);
            foreach (var c in clients)
                c.Settle();
            await Task.Delay(TimeSpan.FromMilliseconds(ttlMs + 1500), cancel);
            await faults.AllReadyAsync();
            await WaitAppendedAsync(ingesters, TimeSpan.FromSeconds(options.Quick ? 30 : 60));
            await WaitCaughtUpAsync(log, clients, TimeSpan.FromSeconds(options.Quick ? 30 : 60));
            var final = await FinalAsync(store, queries, users);
            if (reading.IsCompleted)
            {
                // The truth of the stream rules is what the reader read: one that stopped early leaves the rest of the run unjudged.
                Notes.Add($"the log reader stopped before the run's end ({(reading.IsFaulted ? reading.Exception!.GetBaseException().Message : "no failure")}): the log after it is judged only from the end's catch-up read");
                Console.WriteLine(Notes[^1]);
            }

            stop.Cancel();
            try
            {
                // Bounded: a background task stuck on a store call the client never completes must not
                // keep the history from being written (the second 30-minute run hung here, in the sampler).
                await Task.WhenAll(background).WaitAsync(TimeSpan.FromSeconds(30), cancel);
            }
            catch (TimeoutException)
            {
                Notes.Add($"{background.Count(t => !t.IsCompleted)} background task(s) did not stop within 30 s of the end");
                Console.WriteLine(Notes[^1]);
            }
            foreach (var s in ingesters.Concat(queries))
            {
                s.Process.Stop(TimeSpan.Zero);
                s.SaveLog();
            }
            if (logs is not null)
                Console.WriteLine($"services' output written to {logs}/ (NAME-N.log: the Nth process of each)");
            if (log.Gaps > 0)
                Notes.Add($"the log reader found {log.Gaps} lines trimmed before it read them (coverage of those epochs overstated)");
            Console.WriteLine($"recorded: {sender.Count:N0} heartbeats, {clients.Sum(c => c.Sessions.Count):N0} sessions, {sampler.Rounds} sample rounds ({sampler.FailedRounds} failed), {log.Lines.Count:N0} log lines ({log.ReadFailures} reads failed{(log.LastFailure is { } failure ? $", the last: {failure}" : "")})");
            return new RunHistory(
                new RunInfo(seed, ttlMs, startedMs, Clock.NowMs, lastFaultEnded, users, [.. queries.Select(q => q.Name)], options.Cluster ? "cluster" : "single"),
                sender.Sent,
                faults.Records,
                [.. clients.Select(c => new Subscriber(c.Id, c.Watched))],
                [.. clients.SelectMany(c => c.Sessions).Select(s => s.ToRecord())],
                log.Lines,
                log.Coverage,
                sampler.Samples,
                final,
                drops.Counts);
        }
        finally
        {
            ChildProcess.KillAll();
            if (netns is not null)
            {
                netns.Delete();
                s_netns = null;
            }
            ChildProcess.PidFile = null;
            try
            {
                Directory.Delete(runDir, recursive: true);
            }
            catch (IOException)
            {
                // a file still held: the next run deletes it
            }
        }
    }

    /// <summary>
    /// The <c>debounce=S</c> of subscriber <paramref name="index"/> (from 0): every fourth asks for 1, 2 or 3 s in
    /// turn (half of them slow readers, as every eighth subscriber is), the others for none. Small S, so that
    /// the run's 1–4 s sign-outs and its timeouts give both cancelled pairs and held offlines sent. Taken from the
    /// index, not the seeded random: a seed's schedule and choices stay those of runs before debounced subscribers.
    /// </summary>
    public static int DebounceOf(int index) => index % 4 == 3 ? 1 + (index / 4 % 3) : 0;

    /// <summary>The way out on process exit: the namespace and its veth pair go too.</summary>
    public static void CleanUp()
    {
        ChildProcess.KillAll();
        var netns = Interlocked.Exchange(ref s_netns, null);
        netns?.Delete();
    }

    /// <summary>
    /// Waits until every ingester has appended what it holds for the events log (<c>presence_event_log_backlog</c> 0): an
    /// ingester whose appends failed in the last fault retries them with a backoff of up to 2 s, and the store's
    /// reconnection may take longer, so the log can still lack a timeout when the streams have caught up with it.
    /// </summary>
    private async Task WaitAppendedAsync(Service[] ingesters, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        string behind = "";
        while (DateTime.UtcNow < deadline)
        {
            behind = "";
            foreach (var ingester in ingesters)
            {
                var metrics = await ingester.MetricsAsync(cancel);
                double backlog = metrics?.GetValueOrDefault("presence_event_log_backlog", double.NaN) ?? double.NaN;
                if (backlog != 0)
                {
                    behind = $"{ingester.Name}: {(double.IsNaN(backlog) ? "no /metrics" : $"{backlog} transitions")}";
                    break;
                }
            }
            if (behind.Length == 0)
                return;
            await Task.Delay(200, cancel);
        }
        Notes.Add($"not every ingester appended its transitions within {limit.TotalSeconds:0} s: {behind}");
        Console.WriteLine(Notes[^1]);
    }

    /// <summary>
    /// Waits (bounded) until every subscriber has an open session that received the log up to the
    /// store's last seq, as far as its watched users go: the last line of a watched user, or a snapshot at or after it.
    /// </summary>
    private async Task WaitCaughtUpAsync(LogReader log, List<StreamClient> clients, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        string behind = "";
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await log.ReadAllAsync();
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException or InvalidOperationException)
            {
                await Task.Delay(200, cancel);
                continue;
            }
            var (epoch, last) = log.Head;
            if (epoch is not null)
            {
                var lines = log.LinesOf(epoch);
                behind = "";
                foreach (var c in clients)
                {
                    var watched = c.Watched.ToHashSet();
                    var s = c.Current;
                    if (c.Debounce > 0)
                    {
                        if (DebouncedBehind(c, epoch, lines.Where(l => l.Seq <= last && watched.Contains(l.User)).ToList()) is { } why)
                        {
                            behind = $"subscriber {c.Id} (debounce {c.Debounce} s, session {(s is null ? "none" : $"of {s.Epoch}, open {s.Open}")}): {why}";
                            break;
                        }
                        continue;
                    }
                    long need = lines.Where(l => l.Seq <= last && watched.Contains(l.User)).Select(l => l.Seq).DefaultIfEmpty(0).Max();
                    if (s is null || !s.Open || s.Epoch != epoch || s.Seq < need)
                    {
                        behind = $"subscriber {c.Id} (session {(s is null ? "none" : $"{s.Epoch}-{s.Seq}, open {s.Open}")}, needs {epoch}-{need})";
                        break;
                    }
                }
                if (behind.Length == 0)
                {
                    Console.WriteLine($"every open session caught up with the log ({epoch}-{last})");
                    return;
                }
            }
            await Task.Delay(200, cancel);
        }
        Notes.Add($"not every session caught up with the log within {limit.TotalSeconds:0} s: {behind}");
        Console.WriteLine(Notes[^1]);
    }

    /// <summary>
    /// Why a debounced subscriber has not caught up with <paramref name="lines"/> (its watched users' lines of
    /// <paramref name="epoch"/> through the store's last seq), or null when it has: its open session is of that
    /// epoch, it holds each watched user as the user's last line has it (a held offline still shows online),
    /// and it received that line (an event of it, or a snapshot at or after it), unless the line is an online
    /// whose offline before it the node may have cancelled it with (N.at &lt; O.at + S: then neither comes).
    /// Its seq alone says nothing: a held offline is sent after later lines.
    /// </summary>
    private static string? DebouncedBehind(StreamClient client, string epoch, List<LogLine> lines)
    {
        var current = client.Current;
        if (current is null || !current.Open || current.Epoch != epoch)
            return $"no open session of {epoch}";
        var sessions = client.Sessions.Select(s => s.ToRecord()).ToList();
        var state = Checking.StreamRules.FinalState(sessions);
        var received = new Dictionary<ulong, long>(); // per user: the last seq of the epoch it has as of its items
        foreach (var item in sessions.SelectMany(s => s.Items))
        {
            if (item.EventId is null || !EventIds.TryParseDebounced(item.EventId, out var itemEpoch, out long seq, out _))
                continue;
            foreach (ulong user in item.Kind == StreamItemKind.Snapshot ? (item.Users ?? []).Select(u => u.User) : [item.User])
            {
                if (itemEpoch == epoch)
                    received[user] = seq;
                else
                    received.Remove(user);
            }
        }
        foreach (ulong user in client.Watched)
        {
            var mine = lines.Where(l => l.User == user).OrderBy(l => l.Seq).ToList();
            bool online = mine.Count > 0 && mine[^1].Online;
            if (!state.TryGetValue(user, out bool held) || held != online)
                return $"holds user {user} {(state.TryGetValue(user, out bool h) ? h ? "online" : "offline" : "nowhere")}, the log has it {(online ? "online" : "offline")}";
            if (mine.Count == 0 || received.GetValueOrDefault(user, -1) >= mine[^1].Seq)
                continue;
            bool cancellable = mine.Count >= 2 && mine[^1].Online && !mine[^2].Online && mine[^1].At < mine[^2].At + (client.Debounce * 1000L);
            if (!cancellable)
                return $"has not received {epoch}-{mine[^1].Seq} of user {user}";
        }
        return null;
    }

    private async Task<FinalState> FinalAsync(Store store, Service[] queries, List<ulong> users)
    {
        long storeRead = Clock.NowMs;
        var db = store.Db;
        Task<StackExchange.Redis.RedisValue>[] gets = [];
        await Clock.UntilAsync(async () =>
        {
            storeRead = Clock.NowMs;
            gets = [.. users.Select(u => db.StringGetAsync("presence:" + u.ToString(CultureInfo.InvariantCulture)))];
            try
            {
                await Task.WhenAll(gets).WaitAsync(TimeSpan.FromSeconds(10), cancel);
                return true;
            }
            catch (Exception e) when (e is StackExchange.Redis.RedisException or TimeoutException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "the store's keys for the final state", cancel, 200);
        var keys = new Dictionary<ulong, long>();
        for (int i = 0; i < users.Count; i++)
        {
            if (!gets[i].Result.IsNull)
                keys[users[i]] = long.Parse((string)gets[i].Result!, CultureInfo.InvariantCulture);
        }
        long batchRead = Clock.NowMs;
        var answers = new List<BatchAnswer>();
        foreach (var q in queries)
        {
            foreach (var chunk in users.Chunk(1000))
            {
                using var json = JsonDocument.Parse(await BatchAsync(q, chunk));
                foreach (var u in json.RootElement.GetProperty("users").EnumerateArray())
                {
                    var seen = u.GetProperty("lastSeenMs");
                    answers.Add(new BatchAnswer(q.Name, ulong.Parse(u.GetProperty("id").GetString()!, CultureInfo.InvariantCulture),
                        u.GetProperty("online").GetBoolean(), seen.ValueKind == JsonValueKind.Number ? seen.GetInt64() : null));
                }
            }
        }
        return new FinalState(storeRead, keys, batchRead, answers);
    }

    /// <summary>One batch answer of <paramref name="node"/>; a 503 or a refused connection is asked again, for at most 30 s.</summary>
    private async Task<string> BatchAsync(Service node, ulong[] ids)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            string problem;
            try
            {
                using var response = await s_http.PostAsJsonAsync(new Uri($"http://127.0.0.1:{node.HttpPort}/v1/presence/query"),
                    new { ids = ids.Select(u => u.ToString(CultureInfo.InvariantCulture)).ToArray() }, cancel);
                string body = await response.Content.ReadAsStringAsync(cancel);
                if (response.IsSuccessStatusCode)
                    return body;
                problem = $"{(int)response.StatusCode}: {body}";
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancel.IsCancellationRequested)
            {
                problem = e.Message;
            }
            if (DateTime.UtcNow > deadline)
                throw new InvalidOperationException($"{node.Name} gave no batch answer for the final state within 30 s: {problem}");
            await Task.Delay(200, cancel);
        }
    }
}
