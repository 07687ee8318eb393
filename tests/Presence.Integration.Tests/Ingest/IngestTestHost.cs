using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using Presence.Core;
using Presence.Ingest;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Ingest;

/// <summary>An in-process ingester on 127.0.0.1 port 0 (UDP and HTTP), writing under a prefix of its own.</summary>
internal sealed class IngestTestHost : IAsyncDisposable
{
    /// <summary>
    /// Datagrams sent through this host and not yet counted received, at most. The ingest asks the
    /// kernel for a 32 MiB receive buffer, which only root gets (SO_RCVBUFFORCE); without it the
    /// buffer is net.core.rmem_max (about 400 KiB by default), which a burst of a few hundred
    /// datagrams can overflow while the receive thread waits for a core. Up to 64 in flight
    /// (one receive batch, at most ~150 KiB of kernel memory) always fit.
    /// </summary>
    public const int MaxInFlight = 64;

    private readonly Socket _sender = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly byte[] _buffer = new byte[FrameFormat.MaxUdpFrameSize];

    private IngestTestHost(IngestHost host, IngestOptions options)
    {
        Host = host;
        Options = options;
    }

    public IngestHost Host { get; }

    public IngestOptions Options { get; }

    public IngestMetrics Metrics => Host.Metrics;

    public static async Task<IngestTestHost> StartAsync(string? redis, string prefix, Action<IngestOptions>? configure = null)
    {
        var options = new IngestOptions
        {
            Udp = "127.0.0.1:0",
            Http = "127.0.0.1:0",
            Redis = redis,
            EmbeddedPort = 0,
            Prefix = prefix,
            FlushMs = 50,
            StoreTimeoutMs = 1000,
        };
        configure?.Invoke(options);
        var host = await IngestHost.StartAsync(options, NullLoggerFactory.Instance);
        return new IngestTestHost(host, options);
    }

    /// <summary>Datagrams sent through <see cref="Send(ReadOnlySpan{byte})"/>.</summary>
    public long Sent { get; private set; }

    /// <summary>
    /// Sends one datagram, first waiting (with a deadline) while <see cref="MaxInFlight"/> of those
    /// sent here are not yet counted received, so an exact count never depends on the buffer size.
    /// </summary>
    public void Send(ReadOnlySpan<byte> datagram)
    {
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (Sent - (long)Metrics.FramesReceived.Value >= MaxInFlight)
        {
            if (deadline.Elapsed > Eventually.DefaultTimeout)
                throw new TimeoutException($"Waited {Eventually.DefaultTimeout.TotalSeconds} s for the ingest to receive {Sent - MaxInFlight + 1} frames; it counted {Metrics.FramesReceived.Value}");
            Thread.Sleep(1);
        }
        _sender.SendTo(datagram, SocketFlags.None, Host.UdpEndPoint);
        Sent++;
    }

    /// <summary>One unsigned frame holding <paramref name="records"/>.</summary>
    public void Send(params HeartbeatRecord[] records)
    {
        int n = FrameWriter.WriteUnsigned(_buffer, records);
        Send(_buffer.AsSpan(0, n));
    }

    /// <summary>One heartbeat frame per user, users packed <paramref name="perFrame"/> to a frame.</summary>
    public void Heartbeat(IEnumerable<ulong> users, int perFrame = 1, RecordKind kind = RecordKind.Heartbeat)
    {
        uint now = (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        foreach (var chunk in users.Chunk(perFrame))
            Send(chunk.Select(u => new HeartbeatRecord(u, now, 1, kind, 0)).ToArray());
    }

    public static RedisKey Key(string prefix, ulong user) => PresenceKeys.Format(prefix, user);

    /// <summary>Users <paramref name="first"/>, <paramref name="first"/> + 1, … (<paramref name="count"/> of them).</summary>
    public static ulong[] Users(int first, int count) => Enumerable.Range(first, count).Select(i => (ulong)i).ToArray();

    /// <summary>
    /// Whether every user has a key, asked in one pipelined round (routed per slot on a cluster).
    /// A store error reads as "not yet": callers poll this while a store comes back.
    /// </summary>
    public static async Task<bool> AllExist(IDatabase db, string prefix, IEnumerable<ulong> users)
    {
        var checks = users.Select(u => db.KeyExistsAsync(Key(prefix, u))).ToArray();
        try
        {
            return (await Task.WhenAll(checks)).All(e => e);
        }
        catch (RedisException)
        {
            return false;
        }
    }

    /// <summary>A new connection to the gateway TCP listener (the host must have been started with --tcp).</summary>
    public async Task<Socket> ConnectTcpAsync()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(Host.TcpEndPoint ?? throw new InvalidOperationException("started without --tcp"));
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>One unsigned frame (up to 4096 records on TCP) with a record per user.</summary>
    public static byte[] Frame(IEnumerable<ulong> users, RecordKind kind = RecordKind.Heartbeat)
    {
        var records = users.Select(u => new HeartbeatRecord(u, 0, 1, kind, 0)).ToArray();
        var frame = new byte[FrameFormat.FrameSize(records.Length, signed: false)];
        FrameWriter.WriteUnsigned(frame, records);
        return frame;
    }

    public async ValueTask DisposeAsync()
    {
        _sender.Dispose();
        await Host.DisposeAsync();
    }
}
