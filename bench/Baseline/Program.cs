using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Threading.Channels;
using Presence.Core;
using StackExchange.Redis;

// presence-baseline: the textbook presence receiver that Presence is measured against.
// UDP receive (a plain Socket.ReceiveFrom loop), then for every heartbeat one awaited
// `SET presence:<id> <receive ms> EX 30` (DEL for offline) by one of 50 workers, each with its own
// Redis connection (a pool of 50). No coalescing, no pipelining beyond the 50 in flight.
// Records waiting for a worker sit in a bounded queue; what does not fit is dropped, counted.
// The value is the time the datagram was received, as presence-ingest stores: so the store tells
// which heartbeat it holds (bench/EndToEnd judges each user's latest), however late it was written.
//
// Use: presence-baseline --udp 127.0.0.1:7701 --redis 127.0.0.1:6379 [--prefix presence:] [--ttl 30]
//                        [--connections 50] [--queue 100000] [--stats FILE] [--report-ms N]
// On SIGTERM/SIGINT it stops, finishes the queue, and prints one JSON line of counts (also to --stats).
// --report-ms N also prints that line every N ms while running, with "queued" (records waiting for
// a worker): a benchmark waits for the queue to empty before it checks the store.

string udp = Arg("--udp") ?? "127.0.0.1:7701";
string redis = Arg("--redis") ?? "127.0.0.1:6379";
string prefix = Arg("--prefix") ?? PresenceKeys.DefaultPrefix;
int ttl = int.Parse(Arg("--ttl") ?? "30", System.Globalization.CultureInfo.InvariantCulture);
int connections = int.Parse(Arg("--connections") ?? "50", System.Globalization.CultureInfo.InvariantCulture);
int queueCapacity = int.Parse(Arg("--queue") ?? "100000", System.Globalization.CultureInfo.InvariantCulture);
string? statsFile = Arg("--stats");
int reportMs = int.Parse(Arg("--report-ms") ?? "0", System.Globalization.CultureInfo.InvariantCulture);
if (!HostPort.TryParse(udp, out var endPoint, out var error))
{
    Console.Error.WriteLine($"presence-baseline: --udp: {error}");
    return 2;
}

var pool = new ConnectionMultiplexer[connections];
for (int i = 0; i < connections; i++)
    pool[i] = await ConnectionMultiplexer.ConnectAsync(redis);
var queue = Channel.CreateBounded<(ulong User, RecordKind Kind, long ReceivedMs)>(new BoundedChannelOptions(queueCapacity)
{
    FullMode = BoundedChannelFullMode.Wait,
    SingleWriter = true,
});
long frames = 0, malformed = 0, records = 0, dropped = 0, ok = 0, failed = 0;
var ttlSpan = TimeSpan.FromSeconds(ttl);
var prefixBytes = PresenceKeys.EncodePrefix(prefix);

var workers = pool.Select(mux => Task.Run(async () =>
{
    var db = mux.GetDatabase();
    await foreach (var (user, kind, receivedMs) in queue.Reader.ReadAllAsync())
    {
        try
        {
            RedisKey key = PresenceKeys.ToKey(prefixBytes, user);
            if (kind == RecordKind.Offline)
                await db.KeyDeleteAsync(key);
            else
                await db.StringSetAsync(key, receivedMs, ttlSpan);
            Interlocked.Increment(ref ok);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Interlocked.Increment(ref failed);
        }
    }
})).ToArray();

using var socket = new Socket(endPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
socket.ReceiveBufferSize = 32 << 20;
socket.ReceiveTimeout = 200;
socket.Bind(endPoint);
var stopping = false;
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stopping = true; });
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stopping = true; });
Console.Error.WriteLine($"presence-baseline: UDP {socket.LocalEndPoint}, {connections} connections to {redis}");

using var reporter = reportMs > 0 ? new Timer(_ => Console.WriteLine(Counts()), null, reportMs, reportMs) : null;
var receiver = new Thread(() =>
{
    var buffer = new byte[2048];
    var from = new SocketAddress(socket.AddressFamily);
    while (!Volatile.Read(ref stopping))
    {
        int n;
        try
        {
            n = socket.ReceiveFrom(buffer, SocketFlags.None, from);
        }
        catch (SocketException)
        {
            continue; // timeout: look at the stop flag
        }
        long receivedMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        Volatile.Write(ref frames, frames + 1); // one writer (this thread): no interlocked add per record
        if (FrameParser.TryParse(buffer.AsSpan(0, n), out var frame, FrameFormat.MaxUdpUnsignedRecords) != FrameStatus.Ok || frame.IsSigned)
        {
            Volatile.Write(ref malformed, malformed + 1);
            continue;
        }
        for (int i = 0; i < frame.Count; i++)
        {
            Volatile.Write(ref records, records + 1);
            var r = frame[i];
            if (!queue.Writer.TryWrite((r.UserId, r.Kind, receivedMs)))
                Volatile.Write(ref dropped, dropped + 1);
        }
    }
    queue.Writer.Complete();
}) { IsBackground = true, Name = "baseline-receive" };
receiver.Start();
receiver.Join();
await Task.WhenAll(workers);
reporter?.Dispose();

var stats = Counts();
Console.WriteLine(stats);
if (statsFile is not null)
    File.WriteAllText(statsFile, stats + "\n");
foreach (var mux in pool)
    mux.Dispose();
return 0;

string Counts() => JsonSerializer.Serialize(new Dictionary<string, long>
{
    ["frames_received"] = Volatile.Read(ref frames), ["frames_malformed"] = Volatile.Read(ref malformed),
    ["records"] = Volatile.Read(ref records), ["records_dropped"] = Volatile.Read(ref dropped),
    ["writes_ok"] = Interlocked.Read(ref ok), ["writes_failed"] = Interlocked.Read(ref failed), ["queued"] = queue.Reader.Count,
});

string? Arg(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
