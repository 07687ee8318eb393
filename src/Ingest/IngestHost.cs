using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Presence.Hosting;
using Presence.Ingest.Internal;
using Presence.Ingest.Internal.Coalesce;
using Presence.Ingest.Internal.Flush;
using Presence.Ingest.Internal.Gateway;
using Presence.Ingest.Internal.Infrastructure;
using Presence.Ingest.Internal.Intake;
using Presence.Ingest.Internal.Store;
using Presence.Ingest.Internal.Transitions;
using Presence.Ingest.Internal.Udp;
using StackExchange.Redis;

namespace Presence.Ingest;

/// <summary>
/// One ingester: UDP receive loops and the gateway TCP listener → bounded channel of record
/// batches → coalescer → flusher → store, plus the HTTP side (/metrics, /healthz, /readyz). Built and stopped in-process, so
/// tests run it on port 0 next to a real redis-server; <c>Program</c> wraps it with signals.
/// </summary>
public sealed partial class IngestHost : IAsyncDisposable
{
    private readonly IngestOptions _options;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly IngestClock _clock = new();
    private readonly CancellationTokenSource _stopFlushing = new();
    private StoreConnection? _store;
    private Socket? _socket;
    private KernelUdpStats? _kernelStats;
    private StoreKeyCounter? _keyCounter;
    private ReceiveLoop[] _loops = [];
    private GatewayListener? _tcp;
    private Channel<RecordBatch>? _channel;
    private Coalescer? _coalescer;
    private FrameIntake? _intake;
    private Flusher? _flusher;
    private TransitionDetector? _transitions;
    private EventLogAppender? _eventLog;
    private readonly CancellationTokenSource _stopAppending = new();
    private Task? _coalescerTask;
    private Task? _flusherTask;
    private Task? _eventLogTask;
    private Task? _sweepTask;
    private WebApplication? _http;
    private int _stopped;
    private int _disposed;

    private IngestHost(IngestOptions options, ILoggerFactory loggerFactory)
    {
        _options = options;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateServiceLogger(ProgramName);
    }

    /// <summary>The published name; its log lines are under <c>Presence.Ingest</c>.</summary>
    public const string ProgramName = "presence-ingest";

    public IngestMetrics Metrics { get; } = new();

    /// <summary>Where UDP frames are received (the bound port when --udp gave port 0).</summary>
    public IPEndPoint UdpEndPoint { get; private set; } = null!;

    /// <summary>Base URL of /metrics, /healthz and /readyz.</summary>
    public Uri HttpAddress { get; private set; } = null!;

    /// <summary>The store's configuration string (for the embedded store, its loopback address).</summary>
    public string StoreDescription => _store!.Description;

    /// <summary>Port of the embedded Garnet store, when no --redis was given.</summary>
    public int? EmbeddedStorePort => _store?.EmbeddedPort;

    /// <summary>
    /// Re-reads --keys (SIGHUP): key rotation without a restart. Returns null when done, else
    /// the reason the new file was refused (the old keys then stay in force).
    /// </summary>
    public string? ReloadKeys()
    {
        if (_options.Keys is null || _intake is null)
            return "no --keys file was given";
        try
        {
            var ring = KeyFile.Load(_options.Keys);
            _intake.ReplaceKeys(ring);
            IngestLog.KeysLoaded(_logger, ring.Count, string.Join(",", ring.KeyIds), IngestLog.HmacPath);
            return null;
        }
        catch (ArgumentException e)
        {
            IngestLog.KeysRefused(_logger, e.Message);
            return e.Message;
        }
    }

    /// <summary>Where gateway TCP connections are accepted (the bound port when --tcp gave port 0), or null without --tcp.</summary>
    public IPEndPoint? TcpEndPoint => _tcp?.EndPoint;

    internal GatewayListener? Gateway => _tcp;

    internal nint SocketHandleForTests => _socket!.SafeHandle.DangerousGetHandle();

    /// <summary>Users pending: received, not yet confirmed written (the open window and the pending set).</summary>
    public long PendingUsers => _flusher?.PendingUsers ?? 0;

    /// <summary>Validates <paramref name="options"/> (throws <see cref="ArgumentException"/> with the reason), then starts everything.</summary>
    public static async Task<IngestHost> StartAsync(IngestOptions options, ILoggerFactory loggerFactory)
    {
        var error = options.Validate();
        if (error is not null)
            throw new ArgumentException(error, nameof(options));
        var host = new IngestHost(options, loggerFactory);
        try
        {
            await host.StartCoreAsync().ConfigureAwait(false);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync()
    {
        _store = await StoreConnection.OpenAsync(_options, _loggerFactory, _logger).ConfigureAwait(false);
        IngestLog.StoreConfigured(_logger, _store.Description);

        _channel = Channel.CreateBounded<RecordBatch>(new BoundedChannelOptions(_options.QueueBatches)
        {
            SingleReader = true,
            SingleWriter = _options.Receivers == 1 && _options.TcpEndPoint is null,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails, and the receive loop counts the drop
        });
        var pool = new RecordBatchPool(ReceiveLoop.RecordsPerBatch);
        var room = new PendingBudget(_options.MaxPending, () => _flusher?.PendingUsers ?? 0);
        _coalescer = new Coalescer(_channel.Reader, pool, Metrics, room);
        var database = _store.Multiplexer.GetDatabase();
        var writer = new StoreWriter(database, _options.Prefix, readOldValue: _options.EventsOn, answerWithin: _store.AnswerWithin);
        if (_options.EventsOn)
        {
            _eventLog = new EventLogAppender(database, _options.Prefix, TimeSpan.FromSeconds(_options.EventsRetentionSeconds), _clock, Metrics, _logger)
            {
                AnswerWithin = _store.AnswerWithin,
                LastSeen = CreateLastSeen(database),
            };
            _transitions = new TransitionDetector(database, _options.Prefix, _options.TtlSeconds * 1000L, _clock.NowMs, _eventLog, Metrics, _logger, _store.AnswerWithin);
            IngestLog.EventsOn(_logger, _options.EventsRetentionSeconds);
        }
        _flusher = new Flusher(_coalescer, writer, _options, Metrics, _clock, _logger, room, _transitions);

        _socket = UdpSocketFactory.Create(_options.UdpEndPoint, _options.ReceiveBufferBytes, _options.ReusePort, out int granted);
        UdpEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        Metrics.ReceiveBufferBytes.Set(granted);
        // The kernel reports twice what it holds for payload; less than asked means rmem_max capped it.
        if (granted < _options.ReceiveBufferBytes)
            IngestLog.SmallReceiveBuffer(_logger, _options.ReceiveBufferBytes, granted);
        _kernelStats = new KernelUdpStats((int)_socket.SafeHandle.DangerousGetHandle());
        _keyCounter = new StoreKeyCounter(_store.Multiplexer, TimeSpan.FromMilliseconds(Math.Min(_options.StoreTimeoutMs, 1000)));
        if (_options.KeyRing is { } keyRing)
            IngestLog.KeysLoaded(_logger, keyRing.Count, string.Join(",", keyRing.KeyIds), IngestLog.HmacPath);

        var intake = _intake = new FrameIntake(_options, _clock);
        var receive = new ReceiveContext(intake, _channel.Writer, pool, Metrics, _clock, _logger);
        _loops = new ReceiveLoop[_options.Receivers];
        for (int i = 0; i < _loops.Length; i++)
            _loops[i] = ReceiveLoop.Create(_options.UseRecvMmsg, _socket, receive, i);

        _coalescerTask = Task.Run(_coalescer.RunAsync);
        _flusherTask = Task.Run(() => _flusher.RunAsync(_stopFlushing.Token));
        if (_eventLog is not null && _transitions is not null)
        {
            _eventLogTask = Task.Run(() => _eventLog.RunAsync(_stopAppending.Token));
            var sweep = new OnlineSetSweep(database, _options.Prefix, _clock.Time, _store.AnswerWithin);
            _transitions.Attach(sweep.Found);
            _sweepTask = Task.Run(() => sweep.RunAsync(_stopFlushing.Token));
            StartLastSeen(database);
        }
        foreach (var loop in _loops)
            loop.Start();
        IngestLog.UdpListening(_logger, UdpEndPoint.ToString(), _loops.Length, _options.Receiver, _options.ReceiveBufferBytes, granted);
        if (_options.TcpEndPoint is { } tcp)
        {
            _tcp = GatewayListener.Start(tcp, _options, receive, room);
            IngestLog.TcpListening(_logger, _tcp.EndPoint.ToString(), _options.TcpMaxConnections, _options.TcpIdleSeconds);
        }

        _http = BuildHttp();
        await _http.StartAsync().ConfigureAwait(false);
        var addresses = _http.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        HttpAddress = new Uri(addresses.First());
        IngestLog.HttpListening(_logger, string.Join(", ", addresses));
    }

    private WebApplication BuildHttp()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IHostLifetime, HttpHostLifetime>();
        builder.WebHost.ConfigureKestrel(k => k.Listen(_options.HttpEndPoint));
        var app = builder.Build();
        app.MapHealth();
        app.MapReady(NotReadyBecauseAsync);
        app.MapMetrics(Metrics.Registry, RefreshGaugesAsync);
        return app;
    }

    /// <summary>The <c>/readyz</c> probe: ready while the store answers a PING within --store-timeout-ms, until stopping.</summary>
    private async Task<string?> NotReadyBecauseAsync(CancellationToken cancel)
    {
        if (Volatile.Read(ref _stopped) != 0)
            return "stopping";
        try
        {
            var ping = _store!.Multiplexer.GetDatabase().PingAsync();
            var done = await Task.WhenAny(ping, Task.Delay(_options.StoreTimeoutMs, cancel)).ConfigureAwait(false);
            if (done == ping && ping.IsCompletedSuccessfully)
                return null;
        }
        catch (RedisException)
        {
        }
        return "store unreachable";
    }

    /// <summary>Gauges read on scrape rather than kept current: the kernel's drop count, unparsed TCP bytes, the store's keys.</summary>
    private async Task RefreshGaugesAsync()
    {
        if (_kernelStats?.ReadDrops() is long drops)
            Metrics.KernelDrops.IncTo(drops);
        if (_tcp is not null)
            Metrics.TcpBufferedBytes.Set(_tcp.BufferedBytes);
        if (_keyCounter is not null)
            Metrics.StoreKeys.Set(await _keyCounter.CountAsync().ConfigureAwait(false) ?? double.NaN);
    }
}
