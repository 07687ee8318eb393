using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Net.ServerSentEvents;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Presence.Core.Events;

namespace Presence.Bench.Events;

/// <summary>
/// One subscriber: a raw HTTP/1.1 connection to <c>GET /v1/presence/events?ids=…</c> (or another
/// <see cref="StreamShape"/>: the ids in a POST body, or a group's stream) on a socket,
/// its body read by System.Net.ServerSentEvents' parser through <see cref="ResponseBodyStream"/>
/// (chunked coding undone in the parser's buffer), each event handled on the parser's span by
/// <see cref="OnEvent"/>. It keeps its watched users' state from the snapshot and each event
/// (counting any event that does not flip it), every online/offline event it received with the time
/// it arrived, and reconnects with <c>Last-Event-ID</c> when the stream ends, as a browser's
/// EventSource would. It also checks the counts a stream sends (a snapshot's <c>online</c>, a group
/// event's <c>count</c>) against the state it holds.
/// </summary>
internal sealed class EventSubscriber
{
    /// <summary>Room for a response's headers (and whatever of the body comes with them).</summary>
    private const int HeadBuffer = 16 * 1024;

    private readonly WatchLayout _layout;
    private readonly IPEndPoint _server;
    private readonly StreamShape _shape;
    private int _onlineNow; // watched users online in _online
    private double _sentMs; // when the current connection's request was sent
    private readonly byte[] _online; // per watched position: 0 offline, 1 online, 2 unknown (before the snapshot)
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SseParser<bool>? _parser;
    private ResponseBodyStream? _body;
    private int _keepalivesBefore;
    private bool _gateHeld;
    private SemaphoreSlim? _gate;

    public EventSubscriber(int index, WatchLayout layout, IPEndPoint server, StreamShape? shape = null)
    {
        Index = index;
        _layout = layout;
        _server = server;
        _shape = shape ?? StreamShape.IdsGet;
        _online = new byte[layout.Watch];
        Array.Fill(_online, (byte)2);
    }

    public int Index { get; }

    private readonly List<Delivery> _deliveries = [];

    /// <summary>Online/offline events received so far, in order (a copy).</summary>
    public Delivery[] Deliveries()
    {
        lock (_deliveries)
            return [.. _deliveries];
    }

    /// <summary>Events received so far with a sequence number in (<paramref name="after"/>, <paramref name="upTo"/>].</summary>
    public int CountReceived(long after, long upTo)
    {
        int n = 0;
        lock (_deliveries)
        {
            for (int i = _deliveries.Count - 1; i >= 0 && _deliveries[i].Seq > after; i--)
            {
                if (_deliveries[i].Seq <= upTo)
                    n++;
            }
        }
        return n;
    }

    public int DeliveryCount
    {
        get
        {
            lock (_deliveries)
                return _deliveries.Count;
        }
    }

    /// <summary>Completes when the first stream started (its snapshot arrived); faults when the subscriber gave up.</summary>
    public Task Started => _started.Task;

    public string? Epoch { get; private set; }
    public long SnapshotSeq { get; private set; } = -1;
    public int Snapshots { get; private set; }
    public int Connects { get; private set; }
    public int StreamsEnded { get; private set; }
    public int Refused { get; private set; }

    /// <summary>The status of the last refusal (0: none).</summary>
    public int LastRefusedStatus { get; private set; }
    public int Errors { get; private set; }

    /// <summary>Comment lines (the node's keepalives) of every stream so far.</summary>
    public int Keepalives => _keepalivesBefore + (_body?.Comments ?? 0);

    /// <summary>Events that did not flip the user's state (a repeat, or an offline for a user not online).</summary>
    public int NotAlternating { get; private set; }

    /// <summary>Events about an id this subscriber does not watch, or that could not be read.</summary>
    public int Foreign { get; private set; }

    /// <summary>Events whose epoch is not the snapshot's.</summary>
    public int OtherEpoch { get; private set; }

    public string? LastEventId { get; private set; }

    /// <summary>Milliseconds from sending the request to the last byte of the first snapshot (NaN before it).</summary>
    public double FirstSnapshotMs { get; private set; } = double.NaN;

    /// <summary>Counts that disagree with the state held: a snapshot's <c>online</c> or <c>members</c>, an event's <c>count</c>.</summary>
    public int CountMismatches { get; private set; }

    public string? LastError { get; private set; }

    /// <summary>Streams until <paramref name="stop"/>; <paramref name="gate"/> bounds how many connect at once.</summary>
    public async Task RunAsync(SemaphoreSlim gate, CancellationToken stop)
    {
        _gate = gate;
        while (!stop.IsCancellationRequested)
        {
            TimeSpan retry = TimeSpan.FromSeconds(1);
            try
            {
                await gate.WaitAsync(stop);
                _gateHeld = true;
                retry = await StreamOnceAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is SocketException or IOException or InvalidDataException or JsonException or FormatException or InvalidOperationException)
            {
                Errors++;
                LastError = e.Message;
            }
            finally
            {
                ReleaseGate();
            }
            try
            {
                await Task.Delay(retry, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        _started.TrySetException(new InvalidOperationException($"subscriber {Index} stopped before its stream started: {LastError ?? "no answer"}"));
    }

    /// <summary>One connection: request, headers, then the stream until it ends. Returns how long to wait before the next.</summary>
    private async Task<TimeSpan> StreamOnceAsync(CancellationToken stop)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(_server, stop);
        Connects++;
        _sentMs = NowMs();
        await socket.SendAsync(_shape.Request(_layout, Index, _server, LastEventId), SocketFlags.None, stop);

        string headers;
        byte[] rest;
        var buffer = ArrayPool<byte>.Shared.Rent(HeadBuffer);
        try
        {
            int filled = 0, end;
            while ((end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (filled == buffer.Length)
                    throw new InvalidDataException($"response headers over {HeadBuffer / 1024} KB");
                int n = await socket.ReceiveAsync(buffer.AsMemory(filled), SocketFlags.None, stop);
                if (n == 0)
                {
                    StreamsEnded++;
                    return TimeSpan.FromMilliseconds(100);
                }
                filled += n;
            }
            headers = Encoding.ASCII.GetString(buffer, 0, end);
            rest = buffer.AsSpan(end + 4, filled - end - 4).ToArray();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        int status = ParseStatus(headers);
        if (status != 200)
        {
            Refused++;
            LastRefusedStatus = status;
            LastError = $"HTTP {status}";
            return RetryAfter(headers) ?? TimeSpan.FromSeconds(1);
        }
        if (LastEventId is not null)
            ReleaseGate(); // a resumed stream has no snapshot to wait for

        bool chunked = headers.Contains("transfer-encoding: chunked", StringComparison.OrdinalIgnoreCase);
        await using var connection = new NetworkStream(socket, ownsSocket: false);
        var body = new ResponseBodyStream(connection, rest, chunked, NowMs());
        _body = body;
        try
        {
            // Every event is handled inside the parser's call (OnEvent), on its span: no string per event's data.
            _parser = SseParser.Create(body, Dispatch);
            await foreach (var _ in _parser.EnumerateAsync(stop))
            {
            }
        }
        finally
        {
            _keepalivesBefore += body.Comments;
            _body = null;
        }
        StreamsEnded++;
        return TimeSpan.FromMilliseconds(100);
    }

    /// <summary>
    /// The parser's item parser: hands one dispatched event on while its data is still in the
    /// parser's buffer, with the parser's last event id, which is the event's own when it has an id
    /// line (they come before the blank line that dispatches), else the one before, as in a browser.
    /// </summary>
    private bool Dispatch(string type, ReadOnlySpan<byte> data) => OnEvent(type, _parser!.LastEventId, data);

    /// <summary>One event: its type, the last event id, its data. Returns whether it was one this subscriber could take.</summary>
    public bool OnEvent(string type, string id, ReadOnlySpan<byte> data)
    {
        if (!TrySplitId(id, out var epoch, out long seq))
        {
            Foreign++;
            return false;
        }
        LastEventId = id;
        if (type == "snapshot")
        {
            Epoch = epoch.ToString();
            SnapshotSeq = seq;
            Snapshots++;
            TakeSnapshot(data);
            if (double.IsNaN(FirstSnapshotMs) && _body is not null)
                FirstSnapshotMs = _body.ReceivedMs - _sentMs;
            ReleaseGate();
            _started.TrySetResult();
            return true;
        }
        if (Epoch is null || !epoch.SequenceEqual(Epoch.AsSpan()))
            OtherEpoch++;
        bool online = type == "online";
        if (!online && type != "offline")
        {
            Foreign++;
            return false;
        }
        if (!TryReadEvent(data, out ulong user, out long at, out var reason, out long count) || (online ? reason is not null : reason is null))
        {
            Foreign++;
            return false;
        }
        int k = _layout.PositionOf(Index, user);
        if (k < 0)
        {
            Foreign++;
            return false;
        }
        byte now = online ? (byte)1 : (byte)0;
        if (_online[k] == now)
            NotAlternating++;
        else
            _onlineNow += online ? 1 : _online[k] == 1 ? -1 : 0;
        _online[k] = now;
        if (_shape.IsGroup && count != _onlineNow)
            CountMismatches++; // a group's event says how many members are online after it
        var kind = online ? TransitionKind.Online : reason == "timeout" ? TransitionKind.Timeout : TransitionKind.Signout;
        lock (_deliveries)
            _deliveries.Add(new Delivery(seq, kind, user, at, _body?.ReceivedMs ?? 0)); // 0: fed directly, by a unit test
        return true;
    }

    /// <summary>
    /// Takes a snapshot's state: an id stream's lists every watched id, a group's only the online
    /// members (the others are offline). Its <c>online</c> (and a group's <c>members</c>) must match.
    /// </summary>
    private void TakeSnapshot(ReadOnlySpan<byte> data)
    {
        Array.Clear(_online);
        var reader = new Utf8JsonReader(data);
        ulong user = 0;
        long online = -1, members = -1;
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
                continue;
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                user = ulong.Parse(reader.GetString()!, CultureInfo.InvariantCulture);
            }
            else if (reader.ValueTextEquals("online"u8))
            {
                reader.Read();
                if (reader.CurrentDepth <= 1)
                {
                    online = reader.GetInt64(); // the snapshot's count
                    continue;
                }
                int k = _layout.PositionOf(Index, user);
                if (k < 0)
                    Foreign++;
                else
                    _online[k] = reader.GetBoolean() ? (byte)1 : (byte)0;
            }
            else if (reader.ValueTextEquals("members"u8) && reader.CurrentDepth <= 1)
            {
                reader.Read();
                members = reader.GetInt64();
            }
        }
        _onlineNow = 0;
        foreach (byte b in _online)
            _onlineNow += b;
        if (online != _onlineNow || (_shape.IsGroup && members != _layout.Watch))
            CountMismatches++;
    }

    /// <summary>Reads <c>{"id":"42","at":…[,"reason":"timeout"|"signout"][,"count":K]}</c> (−1: no count).</summary>
    private static bool TryReadEvent(ReadOnlySpan<byte> data, out ulong user, out long at, out string? reason, out long count)
    {
        user = 0;
        at = 0;
        reason = null;
        count = -1;
        var reader = new Utf8JsonReader(data);
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
                continue;
            if (reader.ValueTextEquals("id"u8))
            {
                reader.Read();
                if (!Utf8Parser.TryParse(reader.ValueSpan, out user, out _))
                    return false;
            }
            else if (reader.ValueTextEquals("at"u8))
            {
                reader.Read();
                at = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("count"u8))
            {
                reader.Read();
                count = reader.GetInt64();
            }
            else if (reader.ValueTextEquals("reason"u8))
            {
                reader.Read();
                reason = reader.GetString() switch { "timeout" => "timeout", "signout" => "signout", _ => "?" };
                if (reason == "?")
                    return false;
            }
        }
        return user != 0 && at > 0;
    }

    /// <summary>
    /// <c>&lt;epoch&gt;-&lt;seq&gt;</c>, or a group stream's <c>&lt;epoch&gt;-&lt;seq&gt;.&lt;membership version&gt;</c>
    /// (HTTP-API.md: opaque, today's form; the version is the same for every event of an unchanged group).
    /// </summary>
    private static bool TrySplitId(string id, out ReadOnlySpan<char> epoch, out long seq)
    {
        epoch = default;
        seq = 0;
        int dash = id.LastIndexOf('-');
        if (dash <= 0)
            return false;
        var rest = id.AsSpan(dash + 1);
        int dot = rest.IndexOf('.');
        if (dot >= 0)
            rest = rest[..dot];
        if (!long.TryParse(rest, NumberStyles.None, CultureInfo.InvariantCulture, out seq))
            return false;
        epoch = id.AsSpan(0, dash);
        return true;
    }

    private void ReleaseGate()
    {
        if (_gateHeld)
        {
            _gateHeld = false;
            _gate!.Release();
        }
    }

    private static int ParseStatus(string headers)
    {
        // "HTTP/1.1 200 OK"
        var parts = headers.Split(' ', 3);
        return parts.Length >= 2 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int status) ? status : 0;
    }

    private static TimeSpan? RetryAfter(string headers)
    {
        foreach (var line in headers.Split("\r\n"))
        {
            if (line.StartsWith("retry-after:", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(line.AsSpan(12).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int seconds))
                return TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 30));
        }
        return null;
    }

    /// <summary>Unix time in milliseconds, with the clock's sub-millisecond part.</summary>
    public static double NowMs() => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) / (double)TimeSpan.TicksPerMillisecond;
}
