using System.Net;
using CommandLine;
using Presence.Core;
using Presence.Hosting;

namespace Presence.Ingest;

/// <summary>
/// presence-ingest's options (names and defaults per OPERATIONS.md; the rest are additions).
/// Every default is written where the option is declared; <see cref="Validate"/> gives a one-line reason.
/// </summary>
public sealed class IngestOptions
{
    [Option("udp", Default = "0.0.0.0:7700", HelpText = "UDP listener, HOST:PORT (port 0: any free port).")]
    public string Udp { get; set; } = "0.0.0.0:7700";

    [Option("tcp", HelpText = "Gateway TCP listener, HOST:PORT (port 0: any free port): frames back to back, up to 4096 records each. Off unless given.")]
    public string? Tcp { get; set; }

    [Option("tcp-max-connections", Default = 1024, HelpText = "Most gateway TCP connections open at once; one more is accepted and closed at once (counted over_limit).")]
    public int TcpMaxConnections { get; set; } = 1024;

    [Option("tcp-idle-seconds", Default = 60, HelpText = "A gateway TCP connection that sends nothing for this long is closed (counted idle).")]
    public int TcpIdleSeconds { get; set; } = 60;

    [Option("redis", HelpText = "StackExchange.Redis configuration string (one node, or cluster seeds), e.g. 127.0.0.1:6379. Default: an embedded Garnet store on 127.0.0.1:--embedded-port.")]
    public string? Redis { get; set; }

    [Option("redis-password-file", HelpText = "File holding the store password alone (one line; empty: none), laid over --redis, so the password is on no command line: e.g. systemd's credentials directory (LoadCredential=, %d/redis-password). Not with a password= in --redis.")]
    public string? RedisPasswordFile { get; set; }

    [Option("embedded-port", Default = 6380, HelpText = "Port of the embedded Garnet store on 127.0.0.1 when no --redis is given (0: any free port).")]
    public int EmbeddedPort { get; set; } = 6380;

    [Option("http", Default = "127.0.0.1:9700", HelpText = "HOST:PORT serving /metrics, /healthz and /readyz.")]
    public string Http { get; set; } = "127.0.0.1:9700";

    [Option("ttl", Default = 30, HelpText = "Online threshold in seconds: a user's key expires this long after its latest heartbeat was received.")]
    public int TtlSeconds { get; set; } = 30;

    [Option("flush-ms", Default = 100, HelpText = "Coalescing window in milliseconds (10..250): one pipelined store batch per window.")]
    public int FlushMs { get; set; } = 100;

    [Option("prefix", Default = PresenceKeys.DefaultPrefix, HelpText = "Key prefix in the store.")]
    public string Prefix { get; set; } = PresenceKeys.DefaultPrefix;

    [Option("keys", HelpText = "Master keys for signed frames, one key_id:hex a line (key id 0..255, 64 hex digits); the file must not be accessible to group or others. SIGHUP reloads it (key rotation). Without it no signed record is accepted.")]
    public string? Keys { get; set; }

    [Option("skew", Default = 60, HelpText = "Most seconds a signed record's time may differ from the server's clock (else counted stale).")]
    public int SkewSeconds { get; set; } = 60;

    [Option("replay-users", Default = 1_000_000, HelpText = "Most users whose 64-wide replay window is kept (~50 bytes each); past it windows are forgotten in shards, and the skew check alone bounds replays for them.")]
    public int ReplayUsers { get; set; } = 1_000_000;

    [Option("key-cache", Default = 262_144, HelpText = "Device keys cached ready for verification (~84 bytes each, in two-way sets); a miss costs one HKDF-Expand.")]
    public int KeyCacheSlots { get; set; } = 262_144;

    [Option("require-signed", Default = false, HelpText = "Drop unsigned frames (counted unsigned_rejected).")]
    public bool RequireSigned { get; set; }

    [Option("reuseport", Default = false, HelpText = "Bind with SO_REUSEPORT so several ingesters share one UDP port (and one --tcp port).")]
    public bool ReusePort { get; set; }

    [Option("max-pending", Default = 4_000_000, HelpText = "Most users pending (received, not yet written) while the store is slow or away (~30–80 bytes each, with the dictionary's growth slack and a flush snapshot: 4M ≈ 120–320 MB); beyond it new UDP users are dropped and counted (presence_records_dropped_total{reason=\"pending_full\"}), while TCP connections stop reading until there is room (backpressure).")]
    public int MaxPending { get; set; } = 4_000_000;

    [Option("receivers", Default = 1, HelpText = "Receive loops on the UDP socket (1..16).")]
    public int Receivers { get; set; } = 1;

    [Option("receiver", Default = "recvmmsg", HelpText = "Receive method: recvmmsg (Linux batch receive) or socket (Socket.ReceiveFrom per datagram).")]
    public string Receiver { get; set; } = "recvmmsg";

    [Option("receive-pause-ms", Default = 1, HelpText = "After a receive that took less than a full batch (64 datagrams), each receive loop waits this long before the next (0..10; 0: never), so datagrams arriving one by one are taken, validated and handed on in batches; meanwhile they wait in the socket's buffer (--rcvbuf).")]
    public int ReceivePauseMs { get; set; } = 1;

    [Option("rcvbuf", Default = 32 * 1024 * 1024, HelpText = "SO_RCVBUF to ask for, in bytes; with CAP_NET_ADMIN it is forced past net.core.rmem_max, else capped by it. The granted size is logged and exported.")]
    public int ReceiveBufferBytes { get; set; } = 32 * 1024 * 1024;

    [Option("queue-batches", Default = 1024, HelpText = "Capacity, in receive batches, of the channel from receive loops to the coalescer; a full channel drops (counted).")]
    public int QueueBatches { get; set; } = 1024;

    [Option("store-timeout-ms", Default = 2000, HelpText = "Time a store command may take before it counts as failed and is retried (unless --redis sets asyncTimeout).")]
    public int StoreTimeoutMs { get; set; } = 2000;

    [Option("store-writes", Default = "direct", HelpText = "How flushes reach a single plain store node: direct, over the ingester's own pipelined connection (the least CPU per write); multiplexer, through StackExchange.Redis. Redis Cluster, TLS, sentinel and proxies always use the multiplexer.")]
    public string StoreWrites { get; set; } = "direct";

    [Option("shutdown-timeout-ms", Default = 5000, HelpText = "On SIGTERM/SIGINT, the most time spent writing what is pending before exiting.")]
    public int ShutdownTimeoutMs { get; set; } = 5000;

    [Option("events", Default = "on", HelpText = "on: see presence transitions (online, offline by timeout or sign-out) and append them to the store's events log for presence-query's event streams (costs a GET on each write's answer and one script call per flush with transitions); off: plain SET, no events.")]
    public string Events { get; set; } = "on";

    [Option("events-retention-seconds", Default = 300, HelpText = "How long the events log keeps transitions, so event streams can resume after a disconnect or a query-node restart (60..86400).")]
    public int EventsRetentionSeconds { get; set; } = 300;

    [Option("events-numbered-lines", Default = false, HelpText = "With --events on: write each events log line with its sequence number first, as ingesters before 2026-12-07 did (4.5 bytes a line more in the store), for a rolling upgrade while query nodes older than that still read the log; without it lines are numbered by their place (docs/DEPLOY.md, \"Upgrades\").")]
    public bool EventsNumberedLines { get; set; }

    [Option("last-seen-days", Default = 30, HelpText = "With --events on: how many days an offline user's last seen (its last receive time, whole seconds) is kept, written once per offline transition (0..3650; 0: none kept, and what was kept is forgotten within the hour). presence-query answers it as lastSeenMs.")]
    public int LastSeenDays { get; set; } = 30;

    internal bool EventsOn => Events == "on";

    internal IPEndPoint UdpEndPoint { get; private set; } = null!;

    internal IPEndPoint HttpEndPoint { get; private set; } = null!;

    /// <summary>The TCP listener's address, or null when --tcp was not given.</summary>
    internal IPEndPoint? TcpEndPoint { get; private set; }

    internal bool UseRecvMmsg => Receiver == "recvmmsg";

    internal bool DirectWrites => StoreWrites == "direct";

    /// <summary>The store password read from --redis-password-file by <see cref="Validate"/>; null without one.</summary>
    internal string? RedisPassword { get; private set; }

    /// <summary>The master keys read from --keys by <see cref="Validate"/>; null without --keys.</summary>
    internal MasterKeyRing? KeyRing { get; set; }

    /// <summary>Checks every option; returns a one-line reason for the first bad one, or null.</summary>
    public string? Validate()
    {
        if (!HostPort.TryParse(Udp, out var udp, out var error))
            return $"--udp: {error}";
        UdpEndPoint = udp;
        if (!HostPort.TryParse(Http, out var http, out error))
            return $"--http: {error}";
        HttpEndPoint = http;
        TcpEndPoint = null;
        if (Tcp is not null)
        {
            if (!HostPort.TryParse(Tcp, out var tcp, out error))
                return $"--tcp: {error}";
            TcpEndPoint = tcp;
        }
        if (TcpMaxConnections is < 1 or > 1_000_000)
            return $"--tcp-max-connections must be 1..1000000, not {TcpMaxConnections}";
        if (TcpIdleSeconds is < 1 or > 86_400)
            return $"--tcp-idle-seconds must be 1..86400, not {TcpIdleSeconds}";
        if (SkewSeconds is < 1 or > 86_400)
            return $"--skew must be 1..86400 seconds, not {SkewSeconds}";
        if (ReplayUsers < 64)
            return $"--replay-users must be at least 64, not {ReplayUsers}";
        if (KeyCacheSlots < 1)
            return $"--key-cache must be at least 1, not {KeyCacheSlots}";
        RedisPassword = null;
        if (RedisPasswordFile is not null)
        {
            if (!RedisSecrets.TryReadPasswordFile(RedisPasswordFile, out var password, out var passwordError))
                return $"--redis-password-file: {passwordError}";
            if (password is not null)
            {
                if (Redis is null)
                    return "--redis-password-file: a password needs --redis (the embedded store has none)";
                if (RedisSecrets.HasPassword(Redis))
                    return "--redis-password-file: --redis holds a password= too; give it once";
            }
            RedisPassword = password;
        }
        if (Keys is not null)
        {
            try
            {
                KeyRing = Internal.KeyFile.Load(Keys);
            }
            catch (ArgumentException e)
            {
                return e.Message;
            }
        }
        if (TtlSeconds is < 1 or > 86_400)
            return $"--ttl must be 1..86400 seconds, not {TtlSeconds}";
        if (FlushMs is < 10 or > 250)
            return $"--flush-ms must be 10..250, not {FlushMs}";
        if (FlushMs >= TtlSeconds * 1000)
            return "--flush-ms must be shorter than --ttl";
        if (string.IsNullOrEmpty(Prefix) || Prefix.Length > 200)
            return "--prefix must be 1..200 characters";
        if (Prefix.AsSpan().IndexOfAny('{', '}') >= 0)
            return "--prefix must not contain '{' or '}' (the events log's Redis Cluster hash tag is made from it)";
        if (Events is not ("on" or "off"))
            return $"--events must be on or off, not '{Events}'";
        if (EventsRetentionSeconds is < 60 or > 86_400)
            return $"--events-retention-seconds must be 60..86400, not {EventsRetentionSeconds}";
        if (LastSeenDays is < 0 or > 3650)
            return $"--last-seen-days must be 0..3650, not {LastSeenDays}";
        if (MaxPending < 1)
            return $"--max-pending must be at least 1, not {MaxPending}";
        if (Receivers is < 1 or > 16)
            return $"--receivers must be 1..16, not {Receivers}";
        if (ReceivePauseMs is < 0 or > 10)
            return $"--receive-pause-ms must be 0..10, not {ReceivePauseMs}";
        if (StoreWrites is not ("direct" or "multiplexer"))
            return $"--store-writes must be direct or multiplexer, not '{StoreWrites}'";
        if (Receiver is not ("recvmmsg" or "socket"))
            return $"--receiver must be recvmmsg or socket, not '{Receiver}'";
        if (UseRecvMmsg && !OperatingSystem.IsLinux())
            return "--receiver recvmmsg needs Linux; use --receiver socket";
        if (ReceiveBufferBytes < 4096)
            return "--rcvbuf must be at least 4096 bytes";
        if (QueueBatches < 1)
            return "--queue-batches must be at least 1";
        if (StoreTimeoutMs is < 50 or > 60_000)
            return "--store-timeout-ms must be 50..60000";
        if (ShutdownTimeoutMs is < 0 or > 600_000)
            return "--shutdown-timeout-ms must be 0..600000";
        if (Redis is null && EmbeddedPort is < 0 or > 65535)
            return "--embedded-port must be 0..65535";
        return null;
    }
}
