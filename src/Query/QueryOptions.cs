using CommandLine;
using Presence.Core;
using Presence.Hosting;
using Presence.Query.Internal.Http;
using Presence.Query.Internal.Security;
using Presence.Query.Internal.Store;

namespace Presence.Query;

/// <summary>
/// The command line of <c>presence-query</c> (OPERATIONS.md). Every default is written where
/// its option is declared, so <c>--help</c> shows it; <see cref="Validate"/> checks the values.
/// </summary>
public sealed class QueryOptions
{
    public const string DefaultHttp = "127.0.0.1:8080";
    /// <summary>
    /// The embedded store of a presence-ingest started with its defaults on the same host (Garnet on
    /// 127.0.0.1:6380), so both programs started without options meet on one store. Against Redis,
    /// give both the same --redis.
    /// </summary>
    public const string DefaultRedis = "127.0.0.1:6380";
    public const int DefaultMaxBatch = 1000;
    public const int DefaultMaxBody = 64 * 1024;
    public const int DefaultStoreTimeoutMs = 1000;
    public const int DefaultMaxWatch = 10_000;
    public const int DefaultMaxSubscribers = 10_000;
    public const int DefaultMaxGroupSize = 100_000;
    public const int MaxMaxGroupSize = 10_000_000;

    /// <summary>Room a membership body gets for each id (a 20-digit id quoted, a comma, some space).</summary>
    public const int MembershipBytesPerId = 32;
    public const int DefaultEventsBuffer = 1_000_000;
    public const int DefaultEventsPollMs = 250;
    public const string DirectReads = "direct";
    public const string MultiplexerReads = "multiplexer";

    [Option("http", Default = DefaultHttp, MetaValue = "HOST:PORT",
        HelpText = "HTTP listener: an IP address (or localhost) and a port; port 0 picks a free one.")]
    public string Http { get; set; } = DefaultHttp;

    [Option("redis", Default = DefaultRedis, MetaValue = "CONFIG",
        HelpText = "StackExchange.Redis configuration string: one node, or cluster seeds; the same store as presence-ingest's --redis. " +
                   "The default is where a presence-ingest started without --redis on this host serves its embedded store.")]
    public string Redis { get; set; } = DefaultRedis;

    [Option("redis-password-file", MetaValue = "FILE",
        HelpText = "(Default: none) File holding the store password alone (one line; empty: none), laid over --redis, so the password is on no command line: " +
                   "e.g. systemd's credentials directory (LoadCredential=, %d/redis-password). Not with a password= in --redis.")]
    public string? RedisPasswordFile { get; set; }

    [Option("prefix", Default = PresenceKeys.DefaultPrefix, MetaValue = "TEXT",
        HelpText = "Key prefix: a user's key is <prefix><id in decimal>.")]
    public string Prefix { get; set; } = PresenceKeys.DefaultPrefix;

    [Option("max-batch", Default = DefaultMaxBatch, MetaValue = "N",
        HelpText = "Most ids in one request; more is a 400 and the store is not asked.")]
    public int MaxBatch { get; set; } = DefaultMaxBatch;

    [Option("max-body", Default = DefaultMaxBody, MetaValue = "BYTES",
        HelpText = "Largest request body; more is a 413.")]
    public int MaxBody { get; set; } = DefaultMaxBody;

    [Option("store-timeout-ms", Default = DefaultStoreTimeoutMs, MetaValue = "MS",
        HelpText = "How long a request waits for the store before it answers 503 (also the /readyz ping timeout).")]
    public int StoreTimeoutMs { get; set; } = DefaultStoreTimeoutMs;

    [Option("store-reads", Default = DirectReads, MetaValue = "direct|multiplexer",
        HelpText = "How presence reads reach a single plain store node: direct, over the service's own pipelined connection " +
                   "(the least CPU per request); multiplexer, through StackExchange.Redis. Redis Cluster, TLS, sentinel and proxies always use the multiplexer.")]
    public string StoreReads { get; set; } = DirectReads;

    [Option("api-keys", MetaValue = "FILE",
        HelpText = "(Default: off) Bearer keys, one a line; when given, every /v1/ request needs one. " +
                   "The file must not be readable by group or others.")]
    public string? ApiKeys { get; set; }

    [Option("admin-keys", MetaValue = "FILE",
        HelpText = "(Default: off) Admin bearer keys, one a line, for the routes that change state (DELETE /v1/presence/{id}/last-seen); " +
                   "they also work on every read route. Without it those routes answer 403 to everyone. The file must not be readable by group or others.")]
    public string? AdminKeys { get; set; }

    [Option("last-seen-days", Default = 30, MetaValue = "DAYS",
        HelpText = "How many days an offline user's last seen is answered as its lastSeenMs, read in the same store call as presence (0..3650; 0: never, and reads are plain GET/MGET). Set it as presence-ingest's --last-seen-days.")]
    public int LastSeenDays { get; set; } = 30;

    [Option("rate-limit", MetaValue = "N",
        HelpText = "(Default: off) Requests per second allowed to each client address on /v1/; over it, 429 with Retry-After.")]
    public int? RateLimit { get; set; }

    [Option("max-watch", Default = DefaultMaxWatch, MetaValue = "N",
        HelpText = "Most ids one event stream may watch (POST /v1/presence/events; GET takes up to --max-batch).")]
    public int MaxWatch { get; set; } = DefaultMaxWatch;

    [Option("max-subscribers", Default = DefaultMaxSubscribers, MetaValue = "N",
        HelpText = "Most event streams this node serves at once; one more is a 503 with Retry-After.")]
    public int MaxSubscribers { get; set; } = DefaultMaxSubscribers;

    [Option("max-group-size", Default = DefaultMaxGroupSize, MetaValue = "N",
        HelpText = "Most members a group may have (a larger write is a 400 and changes nothing); also the most members one POST /v1/groups/presence may read. " +
                   "A membership body may be 32 bytes a member (or --max-body when larger).")]
    public int MaxGroupSize { get; set; } = DefaultMaxGroupSize;

    /// <summary>The largest membership body (PUT a group, POST its members): room for a full group, at least <see cref="MaxBody"/>.</summary>
    /// <summary>
    /// The largest body naming groups (<c>POST /v1/groups/presence</c>, <c>POST /v1/groups/events</c>): room for --max-batch names of
    /// the longest length, quoted and comma-separated, at least <see cref="MaxBody"/>.
    /// </summary>
    public int NamesBodyLimit => (int)Math.Min(int.MaxValue, Math.Max(MaxBody, (long)(Presence.Core.Groups.GroupKeys.MaxNameLength + 3) * MaxBatch + 64));

    public int MembershipBodyLimit => (int)Math.Min(int.MaxValue, Math.Max(MaxBody, (long)MembershipBytesPerId * MaxGroupSize + 1024));

    [Option("events-buffer", Default = DefaultEventsBuffer, MetaValue = "N",
        HelpText = "Events log lines kept in memory (48 bytes each) so streams resume from a Last-Event-ID without a new snapshot; older ones need a snapshot.")]
    public int EventsBuffer { get; set; } = DefaultEventsBuffer;

    [Option("events-poll-ms", Default = DefaultEventsPollMs, MetaValue = "MS",
        HelpText = "How often the events log is read when no wake message came (the ingesters publish one after each append).")]
    public int EventsPollMs { get; set; } = DefaultEventsPollMs;
    [Option("trusted-proxies", MetaValue = "LIST",
        HelpText = "(Default: none) Reverse proxies whose X-Forwarded-For is believed, as IP addresses or CIDR networks, comma-separated " +
                   "(e.g. 10.0.0.7,192.168.0.0/24). Requests from them count against --rate-limit under the client address the header gives.")]
    public string? TrustedProxies { get; set; }

    /// <summary>The store password read from --redis-password-file by <see cref="Validate"/>; null without one.</summary>
    internal string? RedisPassword { get; private set; }

    /// <summary>The parsed --trusted-proxies, set by <see cref="Validate"/>; null without the option.</summary>
    internal Internal.Security.TrustedProxies? Proxies { get; private set; }

    internal TimeSpan StoreTimeout => TimeSpan.FromMilliseconds(StoreTimeoutMs);

    /// <summary>How long an event stream may stay silent before a keepalive comment (tests shorten it).</summary>
    internal TimeSpan EventsKeepalive { get; set; } = Internal.Events.EventStreamEndpoint.KeepaliveInterval;

    /// <summary>Checks every value; returns a one-line reason for the first bad one, or null.</summary>
    public string? Validate()
    {
        if (!ListenAddress.TryParse(Http, out _))
            return $"--http {Http}: expected HOST:PORT with an IP address (or localhost) and a port 0-65535";
        // The --redis string is echoed with its password masked: a reason goes to stderr, i.e. the log.
        if (!RedisConfiguration.TryParse(Redis, out _, out var redisError))
            return $"--redis {RedisSecrets.Redact(Redis)}: {redisError}";
        RedisPassword = null;
        if (RedisPasswordFile is not null)
        {
            if (!RedisSecrets.TryReadPasswordFile(RedisPasswordFile, out var password, out var passwordError))
                return $"--redis-password-file: {passwordError}";
            if (password is not null && RedisSecrets.HasPassword(Redis))
                return "--redis-password-file: --redis holds a password= too; give it once";
            RedisPassword = password;
        }
        if (Prefix.Length == 0)
            return "--prefix must not be empty";
        if (Prefix.AsSpan().IndexOfAny('{', '}') >= 0)
            return $"--prefix {Prefix}: must not contain '{{' or '}}' (the events log's Redis Cluster hash tag is made from it)";
        if (MaxWatch < 1)
            return $"--max-watch {MaxWatch}: must be at least 1";
        if (MaxSubscribers < 1)
            return $"--max-subscribers {MaxSubscribers}: must be at least 1";
        if (EventsBuffer < 1_000)
            return $"--events-buffer {EventsBuffer}: must be at least 1000";
        if (EventsPollMs is < 10 or > 60_000)
            return $"--events-poll-ms {EventsPollMs}: must be 10..60000";
        if (MaxBatch < 1)
            return $"--max-batch {MaxBatch}: must be at least 1";
        if (MaxGroupSize is < 1 or > MaxMaxGroupSize)
            return $"--max-group-size {MaxGroupSize}: must be 1..{MaxMaxGroupSize}";
        if (MaxBody < 16)
            return $"--max-body {MaxBody}: must be at least 16 bytes";
        if (StoreTimeoutMs < 1)
            return $"--store-timeout-ms {StoreTimeoutMs}: must be at least 1";
        if (StoreReads is not (DirectReads or MultiplexerReads))
            return $"--store-reads {StoreReads}: expected {DirectReads} or {MultiplexerReads}";
        if (RateLimit is < 1)
            return $"--rate-limit {RateLimit}: must be at least 1 request per second";
        if (ApiKeys is not null && !ApiKeyRing.TryLoad(ApiKeys, out _, out var keysError))
            return $"--api-keys {ApiKeys}: {keysError}";
        if (AdminKeys is not null && !ApiKeyRing.TryLoad(AdminKeys, out _, out var adminError))
            return $"--admin-keys {AdminKeys}: {adminError}";
        if (LastSeenDays is < 0 or > 3650)
            return $"--last-seen-days {LastSeenDays}: must be 0..3650";
        Proxies = null;
        if (TrustedProxies is not null)
        {
            if (!Internal.Security.TrustedProxies.TryParse(TrustedProxies, out var proxies, out var proxiesError))
                return $"--trusted-proxies {TrustedProxies}: {proxiesError}";
            Proxies = proxies;
        }
        return null;
    }
}
