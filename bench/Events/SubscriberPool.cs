using System.Diagnostics;
using System.Net;

namespace Presence.Bench.Events;

/// <summary>
/// The benchmark's subscribers: <see cref="WatchLayout.Subscribers"/> raw event streams, all in this
/// process on the thread pool's socket engine (many streams a thread). They connect a bounded number
/// at a time (each costs the node a snapshot: a script call and an MGET), then stream until stopped.
/// </summary>
internal sealed class SubscriberPool : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _gate;
    private readonly List<Task> _running = [];

    public SubscriberPool(WatchLayout layout, IPEndPoint server, int connectingAtOnce, StreamShape? shape = null)
    {
        Layout = layout;
        _gate = new SemaphoreSlim(connectingAtOnce, connectingAtOnce);
        Subscribers = new EventSubscriber[layout.Subscribers];
        for (int s = 0; s < Subscribers.Length; s++)
            Subscribers[s] = new EventSubscriber(s, layout, server, shape);
    }

    public WatchLayout Layout { get; }

    public EventSubscriber[] Subscribers { get; }

    /// <summary>
    /// Starts every subscriber and waits until each has its snapshot, printing progress, for at most
    /// <paramref name="timeout"/>. Returns the time it took; throws when some never started.
    /// </summary>
    public async Task<TimeSpan> ConnectAllAsync(TimeSpan timeout, Action? watchdog = null)
    {
        var clock = Stopwatch.StartNew();
        foreach (var subscriber in Subscribers)
            _running.Add(Task.Run(() => subscriber.RunAsync(_gate, _stop.Token)));
        var all = Task.WhenAll(Subscribers.Select(s => s.Started));
        while (!all.IsCompleted)
        {
            watchdog?.Invoke();
            // A 4xx other than 429 is the node's final word on the request (a route it does not serve, a bad id, a key): no use waiting.
            var rejected = Subscribers.FirstOrDefault(s => !s.Started.IsCompleted && s.LastRefusedStatus is >= 400 and < 500 and not 429);
            if (rejected is not null)
                throw new InvalidOperationException($"subscriber {rejected.Index}'s stream was refused: HTTP {rejected.LastRefusedStatus}");
            if (clock.Elapsed > timeout)
            {
                int started = Subscribers.Count(s => s.Started.IsCompletedSuccessfully);
                var failing = Subscribers.FirstOrDefault(s => !s.Started.IsCompleted && s.LastError is not null);
                throw new TimeoutException($"{started:N0} of {Subscribers.Length:N0} subscribers started within {timeout.TotalSeconds:0} s; e.g. subscriber {failing?.Index}: {failing?.LastError}");
            }
            await Task.WhenAny(all, Task.Delay(2000));
            if (!all.IsCompleted)
                Console.WriteLine($"  {Subscribers.Count(s => s.Started.IsCompletedSuccessfully),8:N0} of {Subscribers.Length:N0} subscribers streaming after {clock.Elapsed.TotalSeconds:0} s");
        }
        await all;
        return clock.Elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_running);
        _stop.Dispose();
        _gate.Dispose();
    }
}
