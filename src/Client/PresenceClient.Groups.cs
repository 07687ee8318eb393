using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using Presence.Client.Internal;

namespace Presence.Client;

/// <summary>
/// Groups (docs/HTTP-API.md, "Groups"): a name and a set of member ids kept by the service, e.g. a chat room,
/// or one user's several devices (each device heartbeats with its own id; the user is the group). Membership
/// is written with a key of the service's <c>--admin-keys</c>, passed to each write (not the client's read
/// key): a read key, or a service without admin keys, answers 403 <see cref="PresenceProblemTypes.Forbidden"/>.
/// Reads need only the client's API key. A name that is not <c>[A-Za-z0-9._:-]{1,128}</c>, and any other
/// argument the service would answer 400 for, throws an <see cref="ArgumentException"/> before any request.
/// A group with no members does not exist: the service answers its single-group routes 404
/// <see cref="PresenceProblemTypes.GroupNotFound"/>, which these methods return as 0 members (an empty page),
/// as the service's many-groups route answers it.
/// </summary>
public sealed partial class PresenceClient
{
    /// <summary>
    /// <c>PUT /v1/groups/{name}</c> (admin key): replaces the group's members, atomically. An empty
    /// <paramref name="ids"/> deletes the group. A repeated id counts once. More ids than the service's
    /// <c>--max-group-size</c> answer 400 <see cref="PresenceProblemTypes.GroupTooLarge"/> and change nothing.
    /// </summary>
    /// <returns>The group's members after the write.</returns>
    public async Task<long> ReplaceGroupAsync(string name, IReadOnlyCollection<ulong> ids, string adminKey, CancellationToken cancel = default)
    {
        GroupRoutes.CheckName(name, nameof(name));
        ArgumentNullException.ThrowIfNull(ids);
        CheckIds(ids, nameof(ids));
        ArgumentException.ThrowIfNullOrEmpty(adminKey);
        var url = new Uri(BaseAddress, GroupRoutes.Group(name));
        using var request = new HttpRequestMessage(HttpMethod.Put, url) { Content = JsonMembers(("ids", ids)) };
        return GroupSize(await SendAsync(request, ClientJsonContext.Default.WireGroupSize, cancel, adminKey), name, url);
    }

    /// <summary>
    /// <c>POST /v1/groups/{name}/members</c> (admin key): removes <paramref name="remove"/>, then adds
    /// <paramref name="add"/>, atomically (an id in both ends a member); creates the group when it has none.
    /// Either list may be null or empty, not both. A change that would leave the group over the service's
    /// <c>--max-group-size</c> answers 400 <see cref="PresenceProblemTypes.GroupTooLarge"/> and changes nothing.
    /// </summary>
    /// <returns>The group's members after the change (0: the last member was removed, the group is gone).</returns>
    public async Task<long> ChangeGroupAsync(string name, IReadOnlyCollection<ulong>? add, IReadOnlyCollection<ulong>? remove, string adminKey,
        CancellationToken cancel = default)
    {
        GroupRoutes.CheckName(name, nameof(name));
        add ??= [];
        remove ??= [];
        if (add.Count == 0 && remove.Count == 0)
            throw new ArgumentException("Give ids to add, to remove, or both.", nameof(add));
        CheckIds(add, nameof(add));
        CheckIds(remove, nameof(remove));
        ArgumentException.ThrowIfNullOrEmpty(adminKey);
        var url = new Uri(BaseAddress, GroupRoutes.Members(name));
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonMembers(("remove", remove), ("add", add)) };
        return GroupSize(await SendAsync(request, ClientJsonContext.Default.WireGroupSize, cancel, adminKey), name, url);
    }

    /// <summary><c>DELETE /v1/groups/{name}</c> (admin key): the group is gone; also when it had no members.</summary>
    public async Task DeleteGroupAsync(string name, string adminKey, CancellationToken cancel = default)
    {
        GroupRoutes.CheckName(name, nameof(name));
        ArgumentException.ThrowIfNullOrEmpty(adminKey);
        var url = new Uri(BaseAddress, GroupRoutes.Group(name));
        using var request = new HttpRequestMessage(HttpMethod.Delete, url);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancel, adminKey);
        if (response.StatusCode != HttpStatusCode.NoContent)
        {
            if (!response.IsSuccessStatusCode)
                throw await ProblemAsync(response, url, cancel);
            throw new PresenceException($"{url} answered {(int)response.StatusCode} where 204 was expected");
        }
    }

    /// <summary>
    /// <c>GET /v1/groups/{name}</c>: how many members the group has. A group with none (never written,
    /// deleted, emptied) is 0: the service's 404 <see cref="PresenceProblemTypes.GroupNotFound"/> for it is not thrown.
    /// </summary>
    public async Task<long> GetGroupSizeAsync(string name, CancellationToken cancel = default)
    {
        GroupRoutes.CheckName(name, nameof(name));
        var url = new Uri(BaseAddress, GroupRoutes.Group(name));
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        try
        {
            return GroupSize(await SendAsync(request, ClientJsonContext.Default.WireGroupSize, cancel), name, url);
        }
        catch (PresenceApiException e) when (IsNoSuchGroup(e))
        {
            return 0;
        }
    }

    /// <summary>
    /// <c>GET /v1/groups/{name}/presence</c>: one page of the group's members, ascending by id, each as the
    /// batch routes answer it, with the group's counts (<see cref="GroupPage.Online"/> counts every online
    /// member, whatever the page). Pass the page's <see cref="GroupPage.Next"/> as <paramref name="cursor"/>
    /// for the next page; null ends. A group with no members is an empty page (0 members, no next), not the
    /// service's 404. <see cref="ListGroupAsync"/> follows the pages for you.
    /// </summary>
    /// <param name="onlineOnly">List online members only (<c>online=only</c>); the counts stay the group's.</param>
    /// <param name="limit">Members a page holds, 1 … the service's <c>--max-batch</c> (its default when null); more
    /// than its most answers 400 <see cref="PresenceProblemTypes.BadParameter"/>.</param>
    /// <param name="cursor">Null for the first page, else the previous page's <see cref="GroupPage.Next"/> (opaque);
    /// one the service did not give answers 400 <see cref="PresenceProblemTypes.BadCursor"/>.</param>
    public async Task<GroupPage> GetGroupPresenceAsync(string name, bool onlineOnly = false, int? limit = null, string? cursor = null,
        CancellationToken cancel = default)
    {
        GroupRoutes.CheckName(name, nameof(name));
        GroupRoutes.CheckLimit(limit, nameof(limit));
        GroupRoutes.CheckCursor(cursor, nameof(cursor));
        var url = new Uri(BaseAddress, GroupRoutes.Presence(name, onlineOnly, limit, cursor));
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        WireGroupPage answer;
        try
        {
            answer = await SendAsync(request, ClientJsonContext.Default.WireGroupPage, cancel);
        }
        catch (PresenceApiException e) when (IsNoSuchGroup(e))
        {
            return new GroupPage(name, 0, 0, [], null);
        }
        if (answer.Name != name || answer.Members is not { } members || answer.Online is not { } online || answer.Users is not { } wire
            || members < 0 || online < 0 || online > members || wire.Count > members || answer.Next is { Length: 0 })
            throw new PresenceException($"{url} answered a page outside the contract (name '{answer.Name}', members {Shown(answer.Members)}, online {Shown(answer.Online)}, {answer.Users?.Count.ToString(CultureInfo.InvariantCulture) ?? "no"} users)");
        var users = new UserPresence[wire.Count];
        for (int i = 0; i < users.Length; i++)
        {
            users[i] = ToPresence(wire[i], url);
            if (i > 0 && users[i].Id <= users[i - 1].Id)
                throw new PresenceException($"{url} answered id {users[i].Id} after {users[i - 1].Id} (a page is in ascending id order)");
            if (onlineOnly && !users[i].Online)
                throw new PresenceException($"{url} answered offline member {users[i].Id} on a page of online members only");
        }
        return new GroupPage(name, members, online, users, answer.Next);
    }

    /// <summary>
    /// Every member of the group (online ones only with <paramref name="onlineOnly"/>), ascending by id: the
    /// pages of <see cref="GetGroupPresenceAsync"/>, following <see cref="GroupPage.Next"/> until the last.
    /// Members added or removed while it pages are listed or not by the pages still to come, never twice;
    /// each page reads the presence of the whole group, so a large group costs O(members) per page
    /// (a larger <paramref name="limit"/>, fewer pages). A group with no members lists nothing.
    /// </summary>
    /// <param name="limit">Members a page holds, as in <see cref="GetGroupPresenceAsync"/>.</param>
    public async IAsyncEnumerable<UserPresence> ListGroupAsync(string name, bool onlineOnly = false, int? limit = null,
        [EnumeratorCancellation] CancellationToken cancel = default)
    {
        GroupRoutes.CheckName(name, nameof(name));
        GroupRoutes.CheckLimit(limit, nameof(limit));
        string? cursor = null;
        ulong last = 0;
        do
        {
            var page = await GetGroupPresenceAsync(name, onlineOnly, limit, cursor, cancel);
            if (page.Next is not null && page.Users.Count == 0)
                throw new PresenceException($"the query service at {BaseAddress} answered a page of group '{name}' with no members and a next cursor");
            foreach (var user in page.Users)
            {
                // Paging is by id: a member seen twice, or out of order, would be a service outside the contract.
                if (user.Id <= last)
                    throw new PresenceException($"the query service at {BaseAddress} answered member {user.Id} of group '{name}' after {last} (pages go up by id)");
                last = user.Id;
                yield return user;
            }
            cursor = page.Next;
        }
        while (cursor is not null);
    }

    /// <summary>
    /// <c>POST /v1/groups/presence</c>: each group's aggregate presence, in the order asked (a repeated name
    /// is answered again); a group with no members is offline with 0 members. For users with several devices
    /// (one group per user), this is the users' presence. More than <see cref="PresenceClientOptions.MaxBatch"/>
    /// names take several requests. The groups of one request may hold at most the service's
    /// <c>--max-group-size</c> members in all, else 400 <see cref="PresenceProblemTypes.TooManyMembers"/>: name fewer.
    /// </summary>
    public async Task<IReadOnlyList<GroupPresence>> GetGroupsPresenceAsync(IReadOnlyList<string> names, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(names);
        if (names.Count == 0)
            throw new ArgumentException("Name at least one group.", nameof(names));
        for (int i = 0; i < names.Count; i++)
            GroupRoutes.CheckName(names[i], nameof(names));
        var result = new GroupPresence[names.Count];
        var url = new Uri(BaseAddress, GroupRoutes.ManyPresence);
        for (int start = 0; start < names.Count; start += _options.MaxBatch)
        {
            int count = Math.Min(_options.MaxBatch, names.Count - start);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonNames(names, start, count) };
            var answer = await SendAsync(request, ClientJsonContext.Default.WireGroups, cancel);
            if (answer.Groups is not { } groups || groups.Count != count)
                throw new PresenceException($"{url} answered {answer.Groups?.Count ?? 0} groups for {count} names asked");
            for (int i = 0; i < count; i++)
                result[start + i] = ToGroupPresence(groups[i], names[start + i], url);
        }
        return result;
    }

    /// <summary>One entry of many groups' presence (the route's answer, the many-groups stream's snapshot) for <paramref name="asked"/>, checked against the contract.</summary>
    private static GroupPresence ToGroupPresence(WireGroup? group, string asked, Uri url)
    {
        if (group is null || group.Name != asked)
            throw new PresenceException($"{url} answered group '{group?.Name}' where '{asked}' was asked (answers keep request order)");
        if (group.Online is not { } on || group.OnlineMembers is not { } online || group.Members is not { } members
            || online < 0 || online > members || on != online > 0)
            throw new PresenceException($"{url} answered group '{group.Name}' outside the contract (online {group.Online?.ToString() ?? "missing"}, onlineMembers {Shown(group.OnlineMembers)}, members {Shown(group.Members)})");
        return new GroupPresence(asked, on, online, members, group.LastSeenMs);
    }

    /// <summary>The service's answer for a group with no members (single-group routes): 404 group-not-found (a 404 of another type, such as an unknown route's not-found, is thrown).</summary>
    private static bool IsNoSuchGroup(PresenceApiException e) =>
        e.Status == HttpStatusCode.NotFound && e.Type == PresenceProblemTypes.GroupNotFound;

    private static long GroupSize(WireGroupSize answer, string name, Uri url)
    {
        if (answer.Name != name || answer.Members is not { } members || members < 0)
            throw new PresenceException($"{url} answered a group size outside the contract (name '{answer.Name}', members {Shown(answer.Members)})");
        return members;
    }

    private static string Shown(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "missing";

    private static void CheckIds(IReadOnlyCollection<ulong> ids, string paramName)
    {
        int i = 0;
        foreach (ulong id in ids)
        {
            if (id == 0)
                throw new ArgumentException($"{paramName}[{i}] is 0; a user id is 1 … 18446744073709551615.", paramName);
            i++;
        }
    }

    /// <summary><c>{"remove":["1",…],"add":[…]}</c>: each non-empty list (all of them when only one is given), ids as decimal strings.</summary>
    private static ByteArrayContent JsonMembers(params (string Member, IReadOnlyCollection<ulong> Ids)[] lists) =>
        JsonBody(16 + lists.Sum(l => l.Ids.Count) * 24, json =>
        {
            foreach (var (member, ids) in lists)
            {
                if (ids.Count > 0 || lists.Length == 1)
                    WriteIds(json, member, ids);
            }
        });

    /// <summary><c>{"names":["alice",…]}</c>.</summary>
    private static ByteArrayContent JsonNames(IReadOnlyList<string> names, int start, int count) =>
        JsonBody(16 + count * 24, json =>
        {
            json.WriteStartArray("names"u8);
            for (int i = start; i < start + count; i++)
                json.WriteStringValue(names[i]);
            json.WriteEndArray();
        });
}
