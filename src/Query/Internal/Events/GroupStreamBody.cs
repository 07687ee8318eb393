using System.IO.Pipelines;
using Presence.Query.Internal.Http;
using Presence.Query.Internal.Store;

namespace Presence.Query.Internal.Events;

/// <summary>
/// A group stream (HTTP-API.md, "Group streams"): one group's members (<c>GET /v1/groups/{name}/events</c>), or
/// many groups' aggregate state (<c>POST /v1/groups/events</c>). Underneath it is an id stream over every member,
/// whose lines it counts in a <see cref="GroupCounts"/>; its event ids are the id stream's with the membership's
/// fingerprint after a dot. A membership change (a <see cref="StreamItemKind.Membership"/> marker, queued by
/// <see cref="GroupWatch"/>) is applied at one log line S: a snapshot of the new members at S is registered
/// beside the old registration, the old one's lines up to S are sent, the rest dropped (the new one has them),
/// then the change's events, then the new registration's lines.
/// </summary>
internal sealed class GroupStreamBody : StreamBody
{
    /// <summary>A change of more members than this is sent as a new snapshot (HTTP-API.md).</summary>
    public const int MaxMemberEvents = 1000;

    private readonly bool _aggregate;
    private readonly int _debounceSeconds;
    private readonly CancellationTokenSource _end;
    private readonly GroupStreamServices _services;
    private readonly string? _idTail;
    private readonly long _heldMs;
    private readonly List<Delivery> _catchUp;
    private readonly List<int> _turned = [];
    private GroupCounts _counts;
    private StreamSnapshot? _snapshot;
    private string _epoch;
    private string _suffix;
    private Subscriber? _pending; // the new registration while a membership change is applied

    /// <param name="snapshot">The snapshot the stream starts with (its values in <paramref name="counts"/>' id order), or null when it resumes.</param>
    public GroupStreamBody(bool aggregate, GroupCounts counts, Subscriber subscriber, Debouncer? debouncer, string epoch, StreamSnapshot? snapshot,
        List<Delivery> catchUp, CancellationTokenSource end, GroupStreamServices services)
        : base(subscriber, debouncer)
    {
        _aggregate = aggregate;
        _counts = counts;
        _debounceSeconds = debouncer?.Seconds ?? 0;
        _epoch = epoch;
        _snapshot = snapshot;
        _catchUp = catchUp;
        _end = end;
        _services = services;
        _suffix = "." + counts.Fingerprint;
        _idTail = debouncer is null ? null : $"-{services.Feed.Node}-{debouncer.Seconds}";
        _heldMs = _debounceSeconds * 1000L;
    }

    public override bool Overflowed => Subscriber.Overflowed || _pending?.Overflowed == true;

    /// <summary>
    /// Called by <see cref="GroupWatch"/> on its task with a watched group's version: a version other than the one
    /// shown queues a marker (at most one a second a group while they differ; a marker that finds nothing new is
    /// dropped).
    /// </summary>
    public void OnVersion(string name, long version)
    {
        var counts = _counts;
        int g = Array.IndexOf(counts.Names, name);
        if (g >= 0 && counts.Versions[g] != version)
            _services.Feed.NotifyMembership(Subscriber);
    }

    public override void WriteStart(PipeWriter output)
    {
        if (_snapshot is not null)
            WriteSnapshot(output, _snapshot);
        else
            SseWriter.WriteEmptyLine(output);
        Write(output, _catchUp, live: false);
    }

    public override bool Write(PipeWriter output, List<Delivery> deliveries, bool live)
    {
        bool wrote = false;
        var sse = _services.Sse;
        foreach (var delivery in deliveries)
        {
            var line = delivery.Line;
            if (!_counts.Apply(line.UserId, line.IsOnline, _aggregate ? _turned : null))
                continue; // not a member's change (none comes: the registration holds only members)
            if (!_aggregate)
            {
                sse.WriteEvent(output, _epoch, delivery, live, _idTail, _heldMs, _suffix, _counts.OnlineMembers(0));
                wrote = true;
                continue;
            }
            for (int t = 0; t < _turned.Count; t++)
                sse.WriteGroupEvent(output, _epoch, delivery, live, _idTail, _heldMs, _suffix, _counts.Names[_turned[t]], withId: t == _turned.Count - 1);
            wrote |= _turned.Count > 0;
            _turned.Clear();
        }
        deliveries.Clear();
        return wrote;
    }

    public override async Task<bool> HandleAsync(StreamItemKind marker, PipeWriter output, CancellationToken stop)
    {
        if (marker == StreamItemKind.Resync)
        {
            await RestartAsync(null, output, stop).ConfigureAwait(false);
            return true;
        }
        var (status, versions, members) = await _services.Groups.ReadWithVersionsAsync(_counts.Names).ConfigureAwait(false);
        if (status != StoreStatus.Ok)
            return false; // the watch asks again in a second
        var counts = new GroupCounts(_counts.Names, members, versions);
        if (counts.Fingerprint == _counts.Fingerprint)
            return false;
        if (counts.Ids.Length > _services.Options.MaxGroupSize)
        {
            // The groups grew past what one stream may watch (an aggregate's); the client reconnects and is told so.
            await _end.CancelAsync().ConfigureAwait(false);
            return false;
        }
        if (Debouncer is not null || (!_aggregate && Changed(_counts.Ids, counts.Ids) > MaxMemberEvents))
        {
            await RestartAsync(counts, output, stop).ConfigureAwait(false);
            return true;
        }
        return await ChangeAsync(counts, output, stop).ConfigureAwait(false);
    }

    public override void Unregister(EventFeed feed)
    {
        feed.Unregister(Subscriber);
        if (_pending is not null)
            feed.Unregister(_pending);
    }

    /// <summary>
    /// A new snapshot from a new registration, of <paramref name="counts"/>' members (null: read them again): after
    /// the log was replaced, a large change, or any change in a debounced stream. Retried while the store does not answer.
    /// </summary>
    private async Task RestartAsync(GroupCounts? counts, PipeWriter output, CancellationToken stop)
    {
        Unregister(_services.Feed);
        _pending = null;
        var (snapshot, next, subscriber, debouncer) = await _services.Loop.RetryAsync(async () =>
        {
            var fresh = counts;
            if (fresh is null)
            {
                var (status, versions, members) = await _services.Groups.ReadWithVersionsAsync(_counts.Names).ConfigureAwait(false);
                if (status != StoreStatus.Ok)
                    return null;
                fresh = new GroupCounts(_counts.Names, members, versions);
            }
            var subscriber = new Subscriber(fresh.Ids, _end);
            var debouncer = _debounceSeconds > 0 ? new Debouncer(_debounceSeconds) : null;
            _catchUp.Clear();
            var snapshot = await _services.Start.TakeSnapshotAsync(subscriber, debouncer, _catchUp).ConfigureAwait(false);
            return snapshot is null ? null : new Restart(snapshot, fresh, subscriber, debouncer);
        }, output, stop).ConfigureAwait(false);
        Subscriber = subscriber;
        Debouncer = debouncer;
        _counts = next;
        _counts.SetAll(OnlineOf(snapshot.LastSeenMs));
        _epoch = snapshot.Epoch;
        _suffix = "." + next.Fingerprint;
        _snapshot = snapshot;
        WriteStart(output);
        _snapshot = null;
    }

    private sealed record Restart(StreamSnapshot Snapshot, GroupCounts Counts, Subscriber Subscriber, Debouncer? Debouncer);

    /// <summary>
    /// A plain stream's membership change, applied at one log line (the class's remarks); false, changing nothing,
    /// when the store did not answer (the watch asks again in a second).
    /// </summary>
    private async Task<bool> ChangeAsync(GroupCounts counts, PipeWriter output, CancellationToken stop)
    {
        var feed = _services.Feed;
        var pending = new Subscriber(counts.Ids, _end);
        _pending = pending;
        var catchUp = new List<Delivery>();
        var snapshot = await _services.Start.TakeSnapshotAsync(pending, null, catchUp).ConfigureAwait(false);
        if (snapshot is null || snapshot.Epoch != _epoch || !await feed.WaitForPositionAsync(snapshot.Seq, _services.Store.Timeout).ConfigureAwait(false))
        {
            feed.Unregister(pending);
            _pending = null;
            if (snapshot is not null && snapshot.Epoch != _epoch)
            {
                await RestartAsync(counts, output, stop).ConfigureAwait(false); // the log was replaced meanwhile
                return true;
            }
            return false;
        }

        // The old registration's lines up to S are the stream's before the change; the new one has every line after S.
        var sent = new List<Delivery>();
        bool wrote = false;
        while (Subscriber.Queue.TryRead(out var item))
        {
            if (item.Kind == StreamItemKind.Resync)
            {
                wrote |= Write(output, sent, live: true);
                await RestartAsync(counts, output, stop).ConfigureAwait(false);
                return true;
            }
            if (item.IsLine && item.Line.Seq <= snapshot.Seq)
                sent.Add(new Delivery(item.Line, item.ReadMs));
        }
        if (Subscriber.Overflowed)
            return wrote; // the stream ends (the loop sees it); the client resumes from its last id
        wrote |= Write(output, sent, live: true);

        counts.SetAll(OnlineOf(snapshot.LastSeenMs));
        string id = new LastEventId(snapshot.Epoch, snapshot.Seq) + "." + counts.Fingerprint;
        wrote |= _aggregate ? WriteGroupChanges(output, id, counts) : WriteMemberChanges(output, id, counts, snapshot.LastSeenMs);
        feed.Unregister(Subscriber);
        Subscriber = pending;
        _pending = null;
        _counts = counts;
        _suffix = "." + counts.Fingerprint;
        wrote |= Write(output, catchUp, live: false);
        return wrote;
    }

    /// <summary>
    /// One group's <c>member_removed</c> events, then its <c>member_added</c> ones, ascending, with the counts after each.
    /// Only the last carries the change's id: a client cut off before it resumes from an id of the old membership, and
    /// gets a snapshot, never the change's rest silently skipped.
    /// </summary>
    private bool WriteMemberChanges(PipeWriter output, string id, GroupCounts next, long[] values)
    {
        var old = _counts;
        var removed = old.Ids.Where(member => next.IndexOf(member) < 0).ToArray();
        var added = Enumerable.Range(0, next.Ids.Length).Where(i => old.IndexOf(next.Ids[i]) < 0).ToArray();
        int members = old.Ids.Length;
        int count = old.OnlineMembers(0);
        int left = removed.Length + added.Length;
        foreach (ulong member in removed)
        {
            members--;
            count -= old.IsOnline(old.IndexOf(member)) ? 1 : 0;
            WriteMemberEvent(output, "member_removed", --left == 0 ? id : null, member, null, members, count);
        }
        foreach (int i in added)
        {
            members++;
            count += next.IsOnline(i) ? 1 : 0;
            WriteMemberEvent(output, "member_added", --left == 0 ? id : null, next.Ids[i], values[i], members, count);
        }
        return removed.Length + added.Length > 0;
    }

    private void WriteMemberEvent(PipeWriter output, string type, string? id, ulong member, long? value, int members, int count)
    {
        var writer = PresenceJson.ThreadWriter(out var buffer);
        writer.WriteStartObject();
        if (value is { } v)
            PresenceJson.WriteEntryFields(writer, member, v);
        else
            writer.WriteString("id"u8, member.ToString(System.Globalization.CultureInfo.InvariantCulture));
        writer.WriteNumber("members"u8, members);
        writer.WriteNumber("count"u8, count);
        writer.WriteEndObject();
        writer.Flush();
        _services.Sse.WriteData(output, type, id, buffer.WrittenSpan, value is null ? EventType.MemberRemoved : EventType.MemberAdded);
    }

    /// <summary>
    /// An aggregate's <c>online</c>/<c>offline</c> (<c>membership</c>) events for the groups the change turned on or off;
    /// only the last carries the change's id (<see cref="WriteMemberChanges"/>).
    /// </summary>
    private bool WriteGroupChanges(PipeWriter output, string id, GroupCounts next)
    {
        long now = _services.Feed.Now();
        var turned = Enumerable.Range(0, next.Names.Length).Where(g => _counts.OnlineMembers(g) > 0 != next.OnlineMembers(g) > 0).ToArray();
        for (int t = 0; t < turned.Length; t++)
        {
            int g = turned[t];
            bool online = next.OnlineMembers(g) > 0;
            var writer = PresenceJson.ThreadWriter(out var buffer);
            writer.WriteStartObject();
            writer.WriteString("name"u8, next.Names[g]);
            writer.WriteNumber("at"u8, now);
            if (!online)
                writer.WriteString("reason"u8, "membership"u8);
            writer.WriteEndObject();
            writer.Flush();
            _services.Sse.WriteData(output, online ? "online" : "offline", t == turned.Length - 1 ? id : null, buffer.WrittenSpan, online ? EventType.Online : EventType.Offline);
        }
        return turned.Length > 0;
    }

    private void WriteSnapshot(PipeWriter output, StreamSnapshot snapshot)
    {
        string id = IdStreamBody.SnapshotId(snapshot, Debouncer, _services.Feed) + _suffix;
        var counts = _counts;
        var values = snapshot.LastSeenMs;
        var writer = PresenceJson.ThreadWriter(out var buffer);
        if (_aggregate)
        {
            var tallies = new Dictionary<string, GroupTally>(StringComparer.Ordinal);
            var mine = new List<long>();
            for (int g = 0; g < counts.Names.Length; g++)
            {
                mine.Clear();
                foreach (ulong member in counts.MembersOf(g))
                    mine.Add(values[counts.IndexOf(member)]);
                tallies[counts.Names[g]] = GroupTally.Of(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(mine));
            }
            GroupEndpoints.WriteGroups(writer, counts.Names, tallies);
        }
        else
        {
            writer.WriteStartObject();
            writer.WriteString("name"u8, counts.Names[0]);
            writer.WriteNumber("members"u8, counts.Ids.Length);
            writer.WriteNumber("online"u8, counts.OnlineMembers(0));
            writer.WriteStartArray("users"u8);
            for (int i = 0; i < counts.Ids.Length; i++)
            {
                if (counts.IsOnline(i))
                    PresenceJson.WriteEntry(writer, counts.Ids[i], values[i]);
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.Flush();
        }
        _services.Sse.WriteData(output, "snapshot", id, buffer.WrittenSpan, EventType.Snapshot);
    }

    /// <summary>Which values (as a snapshot has them) say online.</summary>
    internal static bool[] OnlineOf(long[] values) => Array.ConvertAll(values, PresenceStore.IsOnline);

    /// <summary>How many ids are in one sorted list and not the other.</summary>
    internal static int Changed(ulong[] before, ulong[] after)
    {
        int i = 0, j = 0, changed = 0;
        while (i < before.Length || j < after.Length)
        {
            if (j == after.Length || (i < before.Length && before[i] < after[j]))
            {
                changed++;
                i++;
            }
            else if (i == before.Length || after[j] < before[i])
            {
                changed++;
                j++;
            }
            else
            {
                i++;
                j++;
            }
        }
        return changed;
    }
}
