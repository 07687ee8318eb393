using System.Globalization;
using Presence.Client;

namespace Presence.Demo;

/// <summary>
/// The demo's subscriber: a few event streams (<see cref="PresenceClient.WatchAsync(IReadOnlyCollection{ulong}, string, TimeSpan?, CancellationToken)"/>, the .NET
/// client an app backend uses) watching a sample of the simulated users, counting what arrives by
/// type and how late it is (receive time minus the event's <c>at</c>), as an app would see it.
/// </summary>
internal sealed class EventWatcher : IAsyncDisposable
{
    private PresenceClient? _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _readers = [];
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<double>> _delays = new();
    private int _snapshots;

    /// <summary>Opens <paramref name="streams"/> streams over users 1 … <paramref name="users"/>, split evenly; returns once each has its snapshot.</summary>
    public async Task StartAsync(string baseUrl, int users, int streams, CancellationToken cancel)
    {
        _client = new PresenceClient(new Uri(baseUrl));
        int per = (users + streams - 1) / streams;
        var ready = new List<Task>();
        for (int first = 1; first <= users; first += per)
        {
            var ids = Enumerable.Range(first, Math.Min(per, users - first + 1)).Select(i => (ulong)i).ToArray();
            var snapshot = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            ready.Add(snapshot.Task);
            _readers.Add(Task.Run(() => ReadAsync(ids, snapshot)));
        }
        await Task.WhenAll(ready).WaitAsync(TimeSpan.FromSeconds(30), cancel);
    }

    private async Task ReadAsync(ulong[] ids, TaskCompletionSource snapshot)
    {
        try
        {
            await foreach (var e in _client!.WatchAsync(ids, cancel: _stop.Token))
            {
                double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                var (type, at) = e switch
                {
                    UserOnline online => ("online", online.At),
                    UserOffline offline => (offline.Reason == OfflineReason.SignOut ? "offline (signout)" : "offline (timeout)", offline.At),
                    _ => (null, 0L),
                };
                if (type is null)
                {
                    Interlocked.Increment(ref _snapshots);
                    snapshot.TrySetResult();
                    continue;
                }
                lock (_lock)
                {
                    if (!_delays.TryGetValue(type, out var list))
                        _delays[type] = list = [];
                    list.Add(now - at);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (PresenceException e)
        {
            snapshot.TrySetException(new DemoException($"the events stream failed: {e.Message}"));
        }
        finally
        {
            snapshot.TrySetResult();
        }
    }

    /// <summary>How many events of <paramref name="type"/> arrived ("online", "offline (signout)", …).</summary>
    public int Count(string type)
    {
        lock (_lock)
            return _delays.TryGetValue(type, out var list) ? list.Count : 0;
    }

    /// <summary>One line per event type: count and delay p50/p99/max.</summary>
    public List<string> Summary()
    {
        var lines = new List<string> { $"{Volatile.Read(ref _snapshots)} snapshot(s)" };
        lock (_lock)
        {
            foreach (var (type, list) in _delays.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                list.Sort();
                lines.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{type}: {list.Count:N0}, delay p50 {Percentile(list, 0.50):0} ms, p99 {Percentile(list, 0.99):0} ms, max {list[^1]:0} ms"));
            }
        }
        return lines;
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_readers);
        _client?.Dispose();
        _stop.Dispose();
    }
}
