using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Presence.Client.Internal;

namespace Presence.Client;

/// <summary>
/// The group streams (docs/HTTP-API.md, "group streams"): one group's members as they are and as they change, and
/// whether each of many groups is online. They reconnect and resume as <see cref="WatchAsync(IReadOnlyCollection{ulong}, string, TimeSpan?, CancellationToken)"/>
/// does (the same loop): the first connection's failure throws; after that a dropped or silent stream reconnects
/// with <c>Last-Event-ID</c>, 429 and 503 are retried after <c>Retry-After</c>, and the service resumes after the
/// last event or sends a fresh snapshot. Errors that retrying cannot fix (400, 401, 404, 413, 415) throw at any time.
/// </summary>
public sealed partial class PresenceClient
{
    /// <summary>
    /// <c>GET /v1/groups/{name}/events</c>: a <see cref="GroupSnapshot"/> of the group (its online members), then
    /// <see cref="MemberOnline"/> and <see cref="MemberOffline"/> as members come and go, and <see cref="MemberRemoved"/>
    /// then <see cref="MemberAdded"/> as its membership changes (each with the group's counts after it), until
    /// <paramref name="cancel"/>. A group with no members has a stream too (0 members), whose members may be added later.
    /// Pass the <see cref="GroupEvent.EventId"/> of the last event handled as <paramref name="lastEventId"/> to resume
    /// after it: the service resumes while the group's membership is still the one of that event, else it sends a
    /// fresh snapshot. A name that is not <c>[A-Za-z0-9._:-]{1,128}</c> throws <see cref="ArgumentException"/> when the
    /// enumeration starts, before any request.
    /// </summary>
    /// <param name="debounce">
    /// As in <see cref="WatchAsync(IReadOnlyCollection{ulong}, string, TimeSpan?, CancellationToken)"/>, held per member:
    /// whole seconds in 0-60 (else <see cref="ArgumentOutOfRangeException"/> before any request), null or zero the plain
    /// stream. A debounced group stream sends every membership change as a new <see cref="GroupSnapshot"/>, and
    /// resumes only on the query node that sent it.
    /// </param>
    public async IAsyncEnumerable<GroupEvent> WatchGroupAsync(string name, string? lastEventId = null, TimeSpan? debounce = null,
        [EnumeratorCancellation] CancellationToken cancel = default)
    {
        GroupRoutes.CheckName(name, nameof(name));
        int debounceSeconds = EventsDebounce.Seconds(debounce, nameof(debounce));
        var url = new Uri(BaseAddress, GroupRoutes.Events(name) + EventsDebounce.Query(debounceSeconds));
        await foreach (var e in StreamAsync(HttpMethod.Get, url, body: null, lastEventId, sse => ToGroupEvent(sse, name, url), cancel))
            yield return e;
    }

    /// <summary>
    /// <c>POST /v1/groups/events</c>: a <see cref="GroupsSnapshot"/> of the groups (each as
    /// <see cref="GetGroupsPresenceAsync"/> answers it), then <see cref="GroupOnline"/> when a group's first member
    /// comes online and <see cref="GroupOffline"/> when its last goes (or a membership change makes it so: reason
    /// <see cref="OfflineReason.Membership"/>), until <paramref name="cancel"/>. Members coming and going while a
    /// group stays online send nothing. For users with several devices (one group per user), the users' presence.
    /// Resume with <paramref name="lastEventId"/> as for <see cref="WatchGroupAsync"/>: a membership change of any of
    /// the groups since that event gives a fresh snapshot.
    /// </summary>
    /// <param name="names">
    /// 1 to the service's <c>--max-batch</c> names (more: 400 <see cref="PresenceProblemTypes.TooManyGroups"/>), a
    /// repeated one watched once, holding at most its <c>--max-group-size</c> members in all (else 400
    /// <see cref="PresenceProblemTypes.TooManyMembers"/>). None, or a bad name, throws <see cref="ArgumentException"/>
    /// when the enumeration starts, before any request.
    /// </param>
    /// <param name="debounce">As in <see cref="WatchGroupAsync"/>: a membership change of a debounced stream's group is a new snapshot.</param>
    public async IAsyncEnumerable<GroupsEvent> WatchGroupsAsync(IReadOnlyCollection<string> names, string? lastEventId = null,
        TimeSpan? debounce = null, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        var list = names as IReadOnlyList<string> ?? [.. names];
        if (list.Count == 0)
            throw new ArgumentException("Name at least one group.", nameof(names));
        foreach (var name in list)
            GroupRoutes.CheckName(name, nameof(names));
        int debounceSeconds = EventsDebounce.Seconds(debounce, nameof(debounce));
        // The snapshot holds one entry per distinct name, in the order asked.
        var distinct = list.Distinct(StringComparer.Ordinal).ToArray();
        var url = new Uri(BaseAddress, GroupRoutes.ManyEvents + EventsDebounce.Query(debounceSeconds));
        await foreach (var e in StreamAsync(HttpMethod.Post, url, () => JsonNames(list, 0, list.Count), lastEventId,
            sse => ToGroupsEvent(sse, distinct, url), cancel))
            yield return e;
    }

    private static GroupEvent? ToGroupEvent(SseEvent sse, string name, Uri url)
    {
        try
        {
            switch (sse.Type)
            {
                case "snapshot":
                    var snapshot = JsonSerializer.Deserialize(sse.Data, ClientJsonContext.Default.WireGroupPage)
                        ?? throw new PresenceException($"{url} sent an empty snapshot");
                    if (snapshot.Name != name || snapshot.Members is not { } members || snapshot.Online is not { } online
                        || snapshot.Users is not { } wire || members < 0 || online != wire.Count || online > members)
                        throw new PresenceException($"{url} sent a snapshot outside the contract (name '{snapshot.Name}', members {Shown(snapshot.Members)}, online {Shown(snapshot.Online)}, {snapshot.Users?.Count.ToString(CultureInfo.InvariantCulture) ?? "no"} users)");
                    var users = new UserPresence[wire.Count];
                    for (int i = 0; i < users.Length; i++)
                    {
                        users[i] = ToPresence(wire[i], url);
                        if (!users[i].Online || (i > 0 && users[i].Id <= users[i - 1].Id))
                            throw new PresenceException($"{url} sent a snapshot with member {users[i].Id} outside the contract (online members only, ascending by id)");
                    }
                    return new GroupSnapshot(sse.LastEventId, name, members, online, users);
                case "online":
                case "offline":
                case "member_added":
                case "member_removed":
                    return ToMemberEvent(sse, url);
                default:
                    // An event type newer than this client: skipped, as EventSource would for an unheard type.
                    return null;
            }
        }
        catch (JsonException e)
        {
            throw new PresenceException($"{url} sent a {sse.Type} event outside the contract: {e.Message}", e);
        }
    }

    private static GroupEvent ToMemberEvent(SseEvent sse, Uri url)
    {
        var change = JsonSerializer.Deserialize(sse.Data, ClientJsonContext.Default.WireMemberEvent);
        if (change is null || !TryParseId(change.Id, out ulong id))
            throw new PresenceException($"{url} sent a {sse.Type} event without a valid id: {sse.Data}");
        // Every member event carries the group's online count after it; the membership events its member count too.
        bool withMembers = sse.Type is "member_added" or "member_removed";
        bool withAt = sse.Type is "online" or "offline";
        if (change.Count is not { } count || count < 0 || (withAt && change.At is null)
            || (withMembers && (change.Members is not { } size || size < 0 || count > size))
            || (sse.Type == "member_added" && change.Online is null))
            throw new PresenceException($"{url} sent a {sse.Type} event outside the contract: {sse.Data}");
        return sse.Type switch
        {
            "online" => new MemberOnline(sse.LastEventId, id, change.At!.Value, count),
            "offline" => new MemberOffline(sse.LastEventId, id, change.At!.Value, Reason(change.Reason, membership: false, sse, url), count),
            "member_added" => new MemberAdded(sse.LastEventId, id, change.Online!.Value, change.LastSeenMs, change.Members!.Value, count),
            _ => new MemberRemoved(sse.LastEventId, id, change.Members!.Value, count),
        };
    }

    private static GroupsEvent? ToGroupsEvent(SseEvent sse, IReadOnlyList<string> names, Uri url)
    {
        try
        {
            switch (sse.Type)
            {
                case "snapshot":
                    var snapshot = JsonSerializer.Deserialize(sse.Data, ClientJsonContext.Default.WireGroups)
                        ?? throw new PresenceException($"{url} sent an empty snapshot");
                    if (snapshot.Groups is not { } wire || wire.Count != names.Count)
                        throw new PresenceException($"{url} sent a snapshot of {snapshot.Groups?.Count ?? 0} groups for {names.Count} distinct names asked");
                    var groups = new GroupPresence[wire.Count];
                    for (int i = 0; i < groups.Length; i++)
                        groups[i] = ToGroupPresence(wire[i], names[i], url);
                    int online = groups.Count(g => g.Online);
                    if (snapshot.Online != online)
                        throw new PresenceException($"{url} sent a snapshot counting {Shown(snapshot.Online)} groups online where {online} are");
                    return new GroupsSnapshot(sse.LastEventId, groups, online);
                case "online":
                case "offline":
                    var change = JsonSerializer.Deserialize(sse.Data, ClientJsonContext.Default.WireGroupChange);
                    if (change is null || change.Name is not { } name || !names.Contains(name) || change.At is not { } at)
                        throw new PresenceException($"{url} sent a {sse.Type} event outside the contract (a watched group's name and at): {sse.Data}");
                    return sse.Type == "online"
                        ? new GroupOnline(sse.LastEventId, name, at)
                        : new GroupOffline(sse.LastEventId, name, at, Reason(change.Reason, membership: true, sse, url));
                default:
                    return null;
            }
        }
        catch (JsonException e)
        {
            throw new PresenceException($"{url} sent a {sse.Type} event outside the contract: {e.Message}", e);
        }
    }
}
