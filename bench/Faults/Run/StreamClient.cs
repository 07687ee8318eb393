using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text.Json;
using Presence.Bench.Faults.History;

namespace Presence.Bench.Faults.Run;

/// <summary>
/// One SSE subscriber: watches a fixed set of ids, opens one session after another on a random
/// query node, leaves at random and resumes with <c>Last-Event-ID</c> (sometimes, on purpose, an id
/// the node cannot serve: garbage, past the log's end, a foreign epoch). Some read slowly. Some ask for
/// <c>debounce=S</c> (HTTP-API.md, "Debounce"): their ids are debounced ones, and a resume on another node
/// than the one that sent the id (or on a restarted one) is answered with a snapshot. Every item is
/// recorded with its arrival time.
/// </summary>
internal sealed class StreamClient(int id, IReadOnlyList<ulong> watched, IReadOnlyList<Service> nodes, bool slow, bool quick, int seed, int debounce = 0)
{
    private static readonly HttpClient s_http = new(new SocketsHttpHandler
    {
        UseProxy = false,
        ConnectTimeout = TimeSpan.FromSeconds(2),
        PooledConnectionLifetime = TimeSpan.Zero,
    })
    { Timeout = Timeout.InfiniteTimeSpan };

    private readonly Random _random = new(seed);
    private readonly List<LiveSession> _sessions = [];
    private string? _lastId;

    public int Id { get; } = id;
    public IReadOnlyList<ulong> Watched { get; } = watched;

    /// <summary>The <c>debounce=S</c> every session of this subscriber asks for (0: plain streams).</summary>
    public int Debounce { get; } = debounce;

    private volatile bool _settle;
    private CancellationTokenSource? _leave;

    /// <summary>At the end: no more leaving on purpose (the open session stays); a session that ends is resumed at once.</summary>
    public void Settle()
    {
        _settle = true;
        lock (_sessions)
        {
            try
            {
                _leave?.CancelAfter(Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // the session just ended; the next one is opened settled
            }
        }
    }

    public LiveSession? Current
    {
        get
        {
            lock (_sessions)
                return _sessions.Count > 0 ? _sessions[^1] : null;
        }
    }

    public IReadOnlyList<LiveSession> Sessions
    {
        get
        {
            lock (_sessions)
                return [.. _sessions];
        }
    }

    public async Task RunAsync(CancellationToken stop)
    {
        string ids = string.Join(',', Watched.Select(u => u.ToString(CultureInfo.InvariantCulture)))
            + (Debounce > 0 ? "&debounce=" + Debounce.ToString(CultureInfo.InvariantCulture) : "");
        while (!stop.IsCancellationRequested)
        {
            var node = nodes[_random.Next(nodes.Count)];
            var (kind, lastId) = ChooseResume();
            var session = new LiveSession(Id, _sessions.Count + 1, node.Name, Clock.NowMs, kind, lastId, slow, Debounce);
            lock (_sessions)
                _sessions.Add(session);
            int stayMs = quick ? 2000 + _random.Next(6000) : 5000 + _random.Next(55_000);
            using var leave = CancellationTokenSource.CreateLinkedTokenSource(stop);
            lock (_sessions)
            {
                if (!_settle)
                    leave.CancelAfter(stayMs);
                _leave = leave;
            }
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://127.0.0.1:{node.HttpPort}/v1/presence/events?ids={ids}"));
                if (lastId is not null)
                    request.Headers.TryAddWithoutValidation("Last-Event-ID", lastId);
                using var response = await s_http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, leave.Token);
                if (!response.IsSuccessStatusCode)
                {
                    session.End(Clock.NowMs, "error");
                }
                else
                {
                    await using var body = await response.Content.ReadAsStreamAsync(leave.Token);
                    await ReadAsync(body, session, leave.Token);
                    session.End(Clock.NowMs, "server");
                }
            }
            catch (OperationCanceledException) when (leave.IsCancellationRequested)
            {
                if (stop.IsCancellationRequested)
                    return; // open at the end of the run
                session.End(Clock.NowMs, "client");
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                session.End(Clock.NowMs, "error");
            }
            lock (_sessions)
                _leave = null;
            if (session.EndReason != "client")
            {
                try
                {
                    await Task.Delay(100 + _random.Next(300), stop);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private (ResumeKind Kind, string? LastId) ChooseResume()
    {
        // A debounced id keeps its tail (-<ms>-<node>-<S>) in the unservable ones: a past-the-end or foreign
        // position on the very node that sent it, which must still get a snapshot.
        string epoch = "", tail = "";
        long seq = 0;
        if (_lastId is null || !(Debounce > 0 ? EventIds.TryParseDebounced(_lastId, out epoch, out seq, out tail) : EventIds.TryParse(_lastId, out epoch, out seq)))
            return (ResumeKind.Fresh, null);
        double roll = _settle ? 1 : _random.NextDouble();
        if (roll < 0.06)
            return (ResumeKind.Garbage, "garbage-" + _random.Next(1000).ToString(CultureInfo.InvariantCulture) + "x");
        if (roll < 0.12)
            return (ResumeKind.PastEnd, EventIds.Format(epoch, seq + 1_000_000) + tail);
        if (roll < 0.18)
            return (ResumeKind.ForeignEpoch, EventIds.Format(epoch == "0badc0de" ? "0badc0df" : "0badc0de", seq) + tail);
        return (ResumeKind.Resume, _lastId);
    }

    private async Task ReadAsync(Stream body, LiveSession session, CancellationToken cancel)
    {
        await foreach (var sse in SseParser.Create(body).EnumerateAsync(cancel))
        {
            if (sse.Data.Length == 0)
                continue; // the service sends none; an empty one would not be JSON
            var item = Parse(Clock.NowMs, sse.EventType, sse.EventId, sse.Data);
            if (item is not null)
            {
                session.Add(item);
                if (sse.EventId is not null)
                    _lastId = sse.EventId;
            }
            if (slow)
                await Task.Delay(30, cancel);
        }
    }

    private static StreamItem? Parse(long arrived, string type, string? eventId, string data)
    {
        using var json = JsonDocument.Parse(data);
        var root = json.RootElement;
        switch (type)
        {
            case "snapshot":
                var users = new List<SnapshotUser>();
                foreach (var u in root.GetProperty("users").EnumerateArray())
                {
                    var seen = u.GetProperty("lastSeenMs");
                    users.Add(new SnapshotUser(ulong.Parse(u.GetProperty("id").GetString()!, CultureInfo.InvariantCulture), u.GetProperty("online").GetBoolean(),
                        seen.ValueKind == JsonValueKind.Number ? seen.GetInt64() : null));
                }
                return new StreamItem(arrived, StreamItemKind.Snapshot, eventId, Users: users);
            case "online":
            case "offline":
                return new StreamItem(arrived, type == "online" ? StreamItemKind.Online : StreamItemKind.Offline, eventId,
                    User: ulong.Parse(root.GetProperty("id").GetString()!, CultureInfo.InvariantCulture), At: root.GetProperty("at").GetInt64(),
                    Reason: root.TryGetProperty("reason", out var reason) ? reason.GetString() : null);
            default:
                return null;
        }
    }
}
