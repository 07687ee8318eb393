using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
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
    // The store (IngestHost.Store.cs).
    private StoreConnection? _store;
    private DirectStoreWriter? _directWriter; // null: writes go through the store client (--store-writes multiplexer, or a store it cannot serve)
    private StoreKeyCounter? _keyCounter;
    // The path to the store (IngestHost.Pipeline.cs), and with --events on the events pieces (IngestHost.Events.cs).
    private Channel<RecordBatch>? _channel;
    private Coalescer? _coalescer;
    private Flusher? _flusher;
    private Task? _coalescerTask;
    private Task? _flusherTask;
    private readonly CancellationTokenSource _stopFlushing = new();
    private TransitionDetector? _transitions;
    private EventLogAppender? _eventLog;
    private Task? _eventLogTask;
    private Task? _sweepTask;
    private readonly CancellationTokenSource _stopAppending = new();
    // The receivers (IngestHost.Receivers.cs).
    private Socket? _socket;
    private KernelUdpStats? _kernelStats;
    private FrameIntake? _intake;
    private ReceiveLoop[] _loops = [];
    private GatewayListener? _tcp;
    // The HTTP side (IngestHost.Http.cs), and the stop (IngestHost.Stopping.cs).
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

    /// <summary>
    /// Start-up, step by step: the store; the path from the channel to the store (with --events on,
    /// the events pieces too), built but idle; the UDP socket and the receivers, built; then the path
    /// runs before the receivers start, so nothing is received before what takes it runs; the HTTP
    /// side last, so /readyz answers only once all of it is up. Each step is in the file of its concern:
    /// <c>IngestHost.Store.cs</c>, <c>.Pipeline.cs</c>, <c>.Events.cs</c>, <c>.Receivers.cs</c>, <c>.Http.cs</c>.
    /// </summary>
    private async Task StartCoreAsync()
    {
        var database = await ConnectStoreAsync().ConfigureAwait(false);
        var (pool, room) = CreatePipeline(database);
        int granted = OpenUdpSocket();
        var receive = CreateReceivers(pool);
        StartPipeline(database);
        StartReceivers(receive, room, granted);
        await StartHttpAsync().ConfigureAwait(false);
    }
}
