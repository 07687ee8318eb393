using Presence.Core.Events;

namespace Presence.Query.Internal.Events;

/// <summary>
/// Who watches which user: hands each log line to the subscribers watching its user, and a resync
/// marker to every subscriber. A user watched by one stream (the usual case) costs no list. Not
/// thread-safe: the feed's lock guards it (a subscriber's queue is written under it).
/// </summary>
internal sealed class SubscriberFanout
{
    private readonly Dictionary<ulong, object> _watchers = new(); // user id → Subscriber, or List<Subscriber> when several
    private readonly HashSet<Subscriber> _all = [];

    /// <summary>Subscribers added and not removed.</summary>
    public int Count => _all.Count;

    /// <summary>From now on <paramref name="subscriber"/> is offered the lines about each of its ids.</summary>
    public void Add(Subscriber subscriber)
    {
        foreach (var id in subscriber.Ids)
            Watch(id, subscriber);
        _all.Add(subscriber);
    }

    /// <summary>False when <paramref name="subscriber"/> was not here (never added, or removed already).</summary>
    public bool Remove(Subscriber subscriber)
    {
        if (!_all.Remove(subscriber))
            return false;
        foreach (var id in subscriber.Ids)
            Unwatch(id, subscriber);
        return true;
    }

    /// <summary>Offers <paramref name="entry"/>, read at <paramref name="readMs"/>, to every subscriber watching its user.</summary>
    public void Offer(EventLogLine entry, long readMs = 0)
    {
        if (!_watchers.TryGetValue(entry.UserId, out var watchers))
            return;
        if (watchers is Subscriber one)
        {
            one.Offer(entry, readMs);
            return;
        }
        foreach (var subscriber in (List<Subscriber>)watchers)
            subscriber.Offer(entry, readMs);
    }

    /// <summary>Tells every subscriber to take a new snapshot (the log was replaced).</summary>
    public void ResyncAll()
    {
        foreach (var subscriber in _all)
            subscriber.RequestResync();
    }

    private void Watch(ulong id, Subscriber subscriber)
    {
        if (!_watchers.TryGetValue(id, out var existing))
            _watchers[id] = subscriber;
        else if (existing is List<Subscriber> list)
            list.Add(subscriber);
        else
            _watchers[id] = new List<Subscriber>(2) { (Subscriber)existing, subscriber };
    }

    private void Unwatch(ulong id, Subscriber subscriber)
    {
        if (!_watchers.TryGetValue(id, out var existing))
            return;
        if (existing == subscriber)
        {
            _watchers.Remove(id);
        }
        else if (existing is List<Subscriber> list && list.Remove(subscriber))
        {
            if (list.Count == 1)
                _watchers[id] = list[0];
        }
    }
}
