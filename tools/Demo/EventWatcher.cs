using System.Globalization;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;

namespace Presence.Demo;

/// <summary>
/// The demo's subscriber: a few event streams (POST /v1/presence/events) watching a sample of the
/// simulated users, counting what arrives by type and how late it is (receive time minus the
/// event's <c>at</c>), as an app would see it.
/// </summary>
internal sealed class EventWatcher : IAsyncDisposable
{
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _readers = [];
    private readonly Lock _lock = new();
    private readonly Dictionary<string, List<double>> _delays = new();
    private int _snapshots;

    /// <summary>Opens <paramref name="streams"/> streams over users 1 … <paramref name="users"/>, split evenly; returns once each has its snapshot.</summary>
    public async Task StartAsync(string baseUrl, int users, int streams, CancellationToken cancel)
    {
        int per = (users + streams - 1) / streams;
        var ready = new List<Task>();
        for (int first = 1; first <= users; first += per)
        {
            var ids = Enumerable.Range(first, Math.Min(per, users - first + 1));
            var request = new HttpRequestMessage(HttpMethod.Post, $"{baseUrl}/v1/presence/events")
            {
                Content = new StringContent("{\"ids\":[" + string.Join(",", ids) + "]}", Encoding.UTF8, "application/json"),
            };
            var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
            if (!response.IsSuccessStatusCode)
                throw new DemoException($"the events stream answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancel)}");
            var snapshot = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            ready.Add(snapshot.Task);
            _readers.Add(Task.Run(() => ReadAsync(response, snapshot)));
        }
        await Task.WhenAll(ready).WaitAsync(TimeSpan.FromSeconds(30), cancel);
    }

    private async Task ReadAsync(HttpResponseMessage response, TaskCompletionSource snapshot)
    {
        try
        {
            using (response)
            await using (var stream = await response.Content.ReadAsStreamAsync(_stop.Token))
            {
                await foreach (var item in SseParser.Create(stream).EnumerateAsync(_stop.Token))
                {
                    double now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    if (item.EventType == "snapshot")
                    {
                        Interlocked.Increment(ref _snapshots);
                        snapshot.TrySetResult();
                        continue;
                    }
                    using var json = JsonDocument.Parse(item.Data);
                    var root = json.RootElement;
                    string type = item.EventType == "offline" && root.TryGetProperty("reason", out var reason)
                        ? "offline (" + reason.GetString() + ")" : item.EventType;
                    double delay = now - root.GetProperty("at").GetInt64();
                    lock (_lock)
                    {
                        if (!_delays.TryGetValue(type, out var list))
                            _delays[type] = list = [];
                        list.Add(delay);
                    }
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
        {
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
        _http.Dispose();
        _stop.Dispose();
    }
}
