using Presence.Query.Internal.Store;

namespace Presence.Query.Internal.Events;

/// <summary>
/// Tells open group streams when a group they watch has a new membership version
/// (<see cref="Presence.Core.Groups.GroupKeys.VersionKeyOf"/>): once a second it reads the versions of
/// every group watched on this node (one GET a group, all pipelined: one round trip per store node)
/// and hands each watcher its groups' versions; a membership write through this node asks for a read
/// at once. A watcher compares with the version it shows and, when they differ, has its stream read
/// the membership again. Polling, not a channel: a change is seen within a second on every node even
/// when the node that wrote it died right after, and a store that lost its data is read like any other.
/// </summary>
internal sealed class GroupWatch(GroupStore groups, QueryMetrics metrics, ILogger logger) : IAsyncDisposable
{
    /// <summary>How often the versions are read (HTTP-API.md: "within about a second on the others").</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    private readonly GroupStore _groups = groups;
    private readonly ILogger _logger = logger;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<Watcher>> _watchers = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    /// <summary>Groups watched now (for tests and metrics).</summary>
    public int Groups
    {
        get
        {
            lock (_lock)
                return _watchers.Count;
        }
    }

    /// <summary>
    /// From now until the returned handle is disposed, <paramref name="onVersion"/> gets (name, version) for each of
    /// <paramref name="names"/> at every read (on the watch's task: it must be quick and must not throw).
    /// </summary>
    public IDisposable Watch(IReadOnlyList<string> names, Action<string, long> onVersion)
    {
        var watcher = new Watcher(this, names, onVersion);
        lock (_lock)
        {
            foreach (var name in names)
            {
                if (!_watchers.TryGetValue(name, out var list))
                    _watchers[name] = list = [];
                list.Add(watcher);
            }
            _loop ??= Task.Run(RunAsync);
        }
        return watcher;
    }

    /// <summary>A membership was written through this node: read the versions now, not at the next tick.</summary>
    public void Changed()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // A read is asked for already.
        }
    }

    private void Remove(Watcher watcher)
    {
        lock (_lock)
        {
            foreach (var name in watcher.Names)
            {
                if (_watchers.TryGetValue(name, out var list) && list.Remove(watcher) && list.Count == 0)
                    _watchers.Remove(name);
            }
        }
    }

    private async Task RunAsync()
    {
        var stop = _stop.Token;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(PollInterval, stop).ConfigureAwait(false);
                await ReadOnceAsync().ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // A store failure is retried at the next tick; a watcher's fault must not end the watch.
                QueryLog.GroupWatchFailed(_logger, e.Message);
            }
        }
    }

    /// <summary>One read of every watched group's version, handed to its watchers.</summary>
    internal async Task ReadOnceAsync()
    {
        string[] names;
        lock (_lock)
            names = [.. _watchers.Keys];
        metrics.WatchedGroups.Set(names.Length);
        if (names.Length == 0)
            return;
        var (status, versions) = await _groups.VersionsAsync(names).ConfigureAwait(false);
        if (status != StoreStatus.Ok)
            return; // the streams have the store's own ways of saying it is away; the next tick reads again
        for (int i = 0; i < names.Length; i++)
        {
            Watcher[] watchers;
            lock (_lock)
                watchers = _watchers.TryGetValue(names[i], out var list) ? [.. list] : [];
            foreach (var watcher in watchers)
                watcher.OnVersion(names[i], versions[i]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_loop is not null)
            await _loop.ConfigureAwait(false);
        _stop.Dispose();
        _wake.Dispose();
    }

    private sealed class Watcher(GroupWatch watch, IReadOnlyList<string> names, Action<string, long> onVersion) : IDisposable
    {
        public IReadOnlyList<string> Names { get; } = names;

        public Action<string, long> OnVersion { get; } = onVersion;

        public void Dispose() => watch.Remove(this);
    }
}
