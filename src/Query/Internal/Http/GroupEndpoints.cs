using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Presence.Core.Groups;
using Presence.Query.Internal.Security;
using Presence.Query.Internal.Store;

namespace Presence.Query.Internal.Http;

/// <summary>
/// The group routes of HTTP-API.md ("Groups"): membership behind <see cref="AdminGate"/>, reads with the usual key.
/// Names, bodies and parameters are checked in full before the store is asked. A group's presence reads the presence
/// of all its members in one batch (<see cref="PresenceStore.GetLastSeenAsync"/>), so its online count is exact.
/// </summary>
internal sealed class GroupEndpoints(AdminGate gate, GroupStore groups, PresenceStore presence, PresenceEndpoints endpoints, QueryMetrics metrics, QueryOptions options,
    Events.GroupWatch watch)
{
    /// <summary><c>PUT /v1/groups/{name}</c> with <c>{"ids":[…]}</c>: replaces the members.</summary>
    public async Task Replace(HttpContext context)
    {
        if (await AdminEndpoints.RefusedAsync(gate, context) || await NameOf(context) is not { } name)
            return;
        var read = await RequestBody.ReadJsonAsync(context, options.MembershipBodyLimit);
        if (read is null)
            return;
        var ids = ArrayPool<ulong>.Shared.Rent(options.MaxGroupSize);
        try
        {
            IdList list;
            try
            {
                list = IdParser.ParseBody(read.Value.Buffer, ids.AsSpan(0, options.MaxGroupSize));
            }
            finally
            {
                context.Request.BodyReader.AdvanceTo(read.Value.Buffer.End);
            }
            if (list.Status is not (IdListStatus.Ok or IdListStatus.Empty))
            {
                await WriteMembershipProblem(context, list, "ids");
                return;
            }
            int count = Distinct(ids.AsSpan(0, list.Count));
            var (status, members) = await Timed(groups.ReplaceAsync(name, ids.AsMemory(0, count)), r => r.Status);
            if (status != StoreStatus.Ok)
            {
                await StoreProblem(context);
                return;
            }
            watch.Changed(); // this node's group streams see it at once, the others' within a second
            WriteSize(context, name, members);
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(ids);
        }
    }

    /// <summary><c>POST /v1/groups/{name}/members</c> with <c>{"add":[…],"remove":[…]}</c>: removes, then adds.</summary>
    public async Task Change(HttpContext context)
    {
        if (await AdminEndpoints.RefusedAsync(gate, context) || await NameOf(context) is not { } name)
            return;
        var read = await RequestBody.ReadJsonAsync(context, options.MembershipBodyLimit);
        if (read is null)
            return;
        int max = options.MaxGroupSize;
        var add = ArrayPool<ulong>.Shared.Rent(max);
        var remove = ArrayPool<ulong>.Shared.Rent(max);
        try
        {
            IdList added, removed;
            try
            {
                added = IdParser.ParseMember(read.Value.Buffer, add.AsSpan(0, max), "add"u8, optional: true);
                removed = IdParser.ParseMember(read.Value.Buffer, remove.AsSpan(0, max), "remove"u8, optional: true);
            }
            finally
            {
                context.Request.BodyReader.AdvanceTo(read.Value.Buffer.End);
            }
            if (added.Status is not (IdListStatus.Ok or IdListStatus.Empty))
            {
                await WriteMembershipProblem(context, added, "add");
                return;
            }
            if (removed.Status is not (IdListStatus.Ok or IdListStatus.Empty))
            {
                await WriteMembershipProblem(context, removed, "remove");
                return;
            }
            if (added.Count == 0 && removed.Count == 0)
            {
                await ProblemWriter.WriteAsync(context, Problem.NoIds, "give ids to add, to remove, or both: {\"add\":[1,2],\"remove\":[3]}");
                return;
            }
            int adds = Distinct(add.AsSpan(0, added.Count));
            int removes = Distinct(remove.AsSpan(0, removed.Count));
            var (status, done, members) = await Timed(groups.ChangeAsync(name, remove.AsMemory(0, removes), add.AsMemory(0, adds), max), r => r.Status);
            if (status != StoreStatus.Ok)
            {
                await StoreProblem(context);
                return;
            }
            if (!done)
            {
                await ProblemWriter.WriteAsync(context, Problem.GroupTooLarge,
                    $"group '{name}' would have {members} members; it may have at most {max} (--max-group-size); nothing was changed");
                return;
            }
            watch.Changed();
            WriteSize(context, name, members);
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(add);
            ArrayPool<ulong>.Shared.Return(remove);
        }
    }

    /// <summary><c>DELETE /v1/groups/{name}</c>: 204, also when it did not exist.</summary>
    public async Task Delete(HttpContext context)
    {
        if (await AdminEndpoints.RefusedAsync(gate, context) || await NameOf(context) is not { } name)
            return;
        if (await Timed(groups.DeleteAsync(name), s => s) != StoreStatus.Ok)
        {
            await StoreProblem(context);
            return;
        }
        watch.Changed();
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary><c>GET /v1/groups/{name}</c>: its member count; 404 when it has none.</summary>
    public async Task Get(HttpContext context)
    {
        if (await NameOf(context) is not { } name)
            return;
        var (status, sizes) = await Timed(groups.CountAsync([name]), r => r.Status);
        if (status != StoreStatus.Ok)
        {
            await StoreProblem(context);
            return;
        }
        if (sizes[0] == 0)
        {
            await NotFound(context, name);
            return;
        }
        WriteSize(context, name, sizes[0]);
    }

    /// <summary><c>GET /v1/groups/{name}/presence?online=only&amp;limit=L&amp;cursor=C</c>: a page of members, the group's counts.</summary>
    public async Task GetPresence(HttpContext context)
    {
        if (await NameOf(context) is not { } name)
            return;
        var query = context.Request.Query;
        bool onlineOnly;
        switch (query["online"].ToString())
        {
            case "" or "all":
                onlineOnly = false;
                break;
            case "only":
                onlineOnly = true;
                break;
            default:
                await ProblemWriter.WriteAsync(context, Problem.BadParameter, $"online '{IdParser.Echo(query["online"])}': give only or all");
                return;
        }
        int limit = options.MaxBatch;
        if (query.ContainsKey("limit") && (!int.TryParse(query["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > options.MaxBatch))
        {
            await ProblemWriter.WriteAsync(context, Problem.BadParameter, $"limit '{IdParser.Echo(query["limit"])}': give an integer 1 … {options.MaxBatch} (--max-batch)");
            return;
        }
        ulong after = 0;
        if (query.ContainsKey("cursor") && !IdParser.TryParse(query["cursor"].ToString(), out after))
        {
            await ProblemWriter.WriteAsync(context, Problem.BadCursor, $"cursor '{IdParser.Echo(query["cursor"])}' is not one this service gave: give the 'next' of the previous page");
            return;
        }

        var (status, all) = await Timed(groups.MembersAsync([name]), r => r.Status);
        if (status != StoreStatus.Ok)
        {
            await StoreProblem(context);
            return;
        }
        var members = all[0];
        if (members.Length == 0)
        {
            await NotFound(context, name);
            return;
        }
        var values = ArrayPool<long>.Shared.Rent(members.Length);
        try
        {
            if (await ReadPresence(members, values) != StoreStatus.Ok)
            {
                await StoreProblem(context);
                return;
            }
            int online = 0;
            for (int i = 0; i < members.Length; i++)
                online += PresenceStore.IsOnline(values[i]) ? 1 : 0;

            // The page: the first `limit` members (online ones with online=only) after the cursor's id.
            int start = members.AsSpan().BinarySearch(after);
            start = start >= 0 ? start + 1 : ~start;
            var page = new List<int>(Math.Min(limit, members.Length - start));
            int next = start;
            for (; next < members.Length && page.Count < limit; next++)
            {
                if (!onlineOnly || PresenceStore.IsOnline(values[next]))
                    page.Add(next);
            }
            while (onlineOnly && next < members.Length && !PresenceStore.IsOnline(values[next]))
                next++;
            bool more = next < members.Length;

            metrics.IdsAnswered(page.Count);
            var writer = PresenceJson.ThreadWriter(out var buffer);
            writer.WriteStartObject();
            writer.WriteString("name"u8, name);
            writer.WriteNumber("members"u8, members.Length);
            writer.WriteNumber("online"u8, online);
            writer.WriteStartArray("users"u8);
            foreach (int i in page)
                PresenceJson.WriteEntry(writer, members[i], values[i]);
            writer.WriteEndArray();
            if (more && page.Count > 0)
                writer.WriteString("next"u8, members[page[^1]].ToString(CultureInfo.InvariantCulture));
            else
                writer.WriteNull("next"u8);
            writer.WriteEndObject();
            writer.Flush();
            WriteJson(context, buffer.WrittenSpan);
        }
        finally
        {
            ArrayPool<long>.Shared.Return(values);
        }
    }

    /// <summary><c>POST /v1/groups/presence</c> with <c>{"names":[…]}</c>: each group's aggregate presence, in request order.</summary>
    public async Task GetManyPresence(HttpContext context)
    {
        if (await ReadNamedGroupsAsync(context, options, named => Timed(groups.CountAsync(named), r => r.Status), StoreProblem, "one request reads") is not { } read)
            return;
        var (names, distinct) = read;
        var (status, members) = await Timed(groups.MembersAsync(distinct), r => r.Status);
        if (status != StoreStatus.Ok)
        {
            await StoreProblem(context);
            return;
        }
        int count = members.Sum(m => m.Length);
        var ids = ArrayPool<ulong>.Shared.Rent(Math.Max(count, 1));
        var values = ArrayPool<long>.Shared.Rent(Math.Max(count, 1));
        try
        {
            int offset = 0;
            foreach (var group in members)
            {
                group.CopyTo(ids, offset);
                offset += group.Length;
            }
            if (count > 0 && await ReadPresence(ids.AsMemory(0, count), values) != StoreStatus.Ok)
            {
                await StoreProblem(context);
                return;
            }

            var tallies = new Dictionary<string, GroupTally>(StringComparer.Ordinal);
            offset = 0;
            for (int g = 0; g < distinct.Length; g++)
            {
                tallies[distinct[g]] = GroupTally.Of(values.AsSpan(offset, members[g].Length));
                offset += members[g].Length;
            }
            var writer = PresenceJson.ThreadWriter(out var buffer);
            WriteGroups(writer, names, tallies);
            WriteJson(context, buffer.WrittenSpan);
        }
        finally
        {
            ArrayPool<ulong>.Shared.Return(ids);
            ArrayPool<long>.Shared.Return(values);
        }
    }

    /// <summary>
    /// <c>{"groups":[{"name","online","onlineMembers","members","lastSeenMs"}…],"online":&lt;groups online&gt;}</c>, one entry
    /// per name in <paramref name="names"/>' order (the answer of <c>POST /v1/groups/presence</c>, and an aggregate group
    /// stream's snapshot), flushed.
    /// </summary>
    internal static void WriteGroups(Utf8JsonWriter writer, IEnumerable<string> names, IReadOnlyDictionary<string, GroupTally> tallies)
    {
        int groupsOnline = 0;
        writer.WriteStartObject();
        writer.WriteStartArray("groups"u8);
        foreach (var name in names)
        {
            var tally = tallies[name];
            groupsOnline += tally.Online > 0 ? 1 : 0;
            writer.WriteStartObject();
            writer.WriteString("name"u8, name);
            writer.WriteBoolean("online"u8, tally.Online > 0);
            writer.WriteNumber("onlineMembers"u8, tally.Online);
            writer.WriteNumber("members"u8, tally.Members);
            if (tally.LastSeen >= 0)
                writer.WriteNumber("lastSeenMs"u8, tally.LastSeen);
            else
                writer.WriteNull("lastSeenMs"u8);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteNumber("online"u8, groupsOnline);
        writer.WriteEndObject();
        writer.Flush();
    }

    /// <summary>
    /// The start of a request naming groups in a body <c>{"names":[…]}</c> (<c>POST /v1/groups/presence</c>, <c>POST /v1/groups/events</c>):
    /// the names in request order and each once, or null after answering. It reads the body (<see cref="QueryOptions.NamesBodyLimit"/>),
    /// answers its problem, then <paramref name="check"/>'s (the request's other checks, before the store is asked), then sizes the
    /// groups with <paramref name="count"/> (answering <paramref name="storeProblem"/> when the store fails) and answers
    /// <c>too-many-members</c> ("…; <paramref name="limitedWhat"/> at most …") when they hold more than --max-group-size in all:
    /// the members of groups that are too many in all are never read.
    /// </summary>
    internal static async Task<(List<string> Names, string[] Distinct)?> ReadNamedGroupsAsync(HttpContext context, QueryOptions options,
        Func<string[], ValueTask<(StoreStatus Status, long[] Sizes)>> count, Func<HttpContext, Task> storeProblem, string limitedWhat,
        Func<Task<bool>>? check = null)
    {
        var read = await RequestBody.ReadJsonAsync(context, options.NamesBodyLimit);
        if (read is null)
            return null;
        NameList list;
        try
        {
            list = ParseNames(read.Value.Buffer, options.MaxBatch);
        }
        finally
        {
            context.Request.BodyReader.AdvanceTo(read.Value.Buffer.End);
        }
        if (list.Problem is { } problem)
        {
            await ProblemWriter.WriteAsync(context, problem, list.Detail!, id: list.BadName, index: list.BadIndex);
            return null;
        }
        if (check is not null && !await check())
            return null;

        var names = list.Names!;
        var distinct = names.Distinct(StringComparer.Ordinal).ToArray();
        var (status, sizes) = await count(distinct);
        if (status != StoreStatus.Ok)
        {
            await storeProblem(context);
            return null;
        }
        long total = sizes.Sum();
        if (total > options.MaxGroupSize)
        {
            await ProblemWriter.WriteAsync(context, Problem.TooManyMembers,
                $"the {distinct.Length} groups named hold {total} members; {limitedWhat} at most {options.MaxGroupSize} (--max-group-size): name fewer groups");
            return null;
        }
        return (names, distinct);
    }

    /// <summary>What parsing <c>{"names":[…]}</c> gave: the names in request order, or the problem.</summary>
    internal readonly record struct NameList(List<string>? Names, Problem? Problem, string? Detail, string? BadName = null, int? BadIndex = null);

    /// <summary>A body <c>{"names":["a","b"]}</c> of at most <paramref name="max"/> valid names; other members are ignored.</summary>
    internal static NameList ParseNames(in ReadOnlySequence<byte> body, int max)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 16 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
                return new(null, Problem.MalformedJson, "the body must be a JSON object {\"names\":[…]}");
            List<string>? names = null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("names"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                if (names is not null)
                    return new(null, Problem.MalformedJson, "\"names\" is given more than once");
                reader.Read();
                if (reader.TokenType != JsonTokenType.StartArray)
                    return new(null, Problem.MalformedJson, "\"names\" must be an array of strings");
                names = [];
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (names.Count == max)
                        return new(null, Problem.TooManyGroups, $"at most {max} group names in one request (--max-batch)");
                    string? name = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    if (name is null || !GroupKeys.IsValidName(name))
                    {
                        string shown = name ?? (reader.TokenType is JsonTokenType.StartArray or JsonTokenType.StartObject ? "[…]" : IdParser.Echo(Encoding.UTF8.GetString(reader.HasValueSequence ? reader.ValueSequence.ToArray() : reader.ValueSpan)));
                        return new(null, Problem.BadGroupName, $"names[{names.Count}] '{IdParser.Echo(shown)}' is no group name: [A-Za-z0-9._:-], 1 to {GroupKeys.MaxNameLength} characters", IdParser.Echo(shown), names.Count);
                    }
                    names.Add(name);
                }
            }
            while (reader.Read())
            {
            }
            if (names is null)
                return new(null, Problem.MalformedJson, "the body has no \"names\" member");
            if (names.Count == 0)
                return new(null, Problem.NoGroups, "give at least one group name: {\"names\":[\"alice\",\"bob\"]}");
            return new(names, null, null);
        }
        catch (JsonException e)
        {
            return new(null, Problem.MalformedJson, $"not valid JSON: {e.Message}");
        }
    }

    /// <summary>Sorts ids and keeps each once, in place; returns how many remain.</summary>
    internal static int Distinct(Span<ulong> ids)
    {
        if (ids.Length == 0)
            return 0;
        ids.Sort();
        int kept = 1;
        for (int i = 1; i < ids.Length; i++)
        {
            if (ids[i] != ids[kept - 1])
                ids[kept++] = ids[i];
        }
        return kept;
    }

    private async ValueTask<StoreStatus> ReadPresence(ReadOnlyMemory<ulong> ids, long[] values)
    {
        metrics.GroupMembersRead(ids.Length);
        long started = Stopwatch.GetTimestamp();
        var status = await presence.GetLastSeenAsync(ids, values.AsMemory(0, ids.Length));
        metrics.StoreCall(status, Stopwatch.GetElapsedTime(started));
        endpoints.Track(status);
        return status;
    }

    /// <summary>A membership call, timed and tracked as every store call is.</summary>
    private async ValueTask<T> Timed<T>(ValueTask<T> call, Func<T, StoreStatus> status)
    {
        long started = Stopwatch.GetTimestamp();
        var result = await call;
        metrics.StoreCall(status(result), Stopwatch.GetElapsedTime(started));
        endpoints.Track(status(result));
        return result;
    }

    /// <summary>The route's group name, or null after answering 400.</summary>
    internal static async ValueTask<string?> NameOf(HttpContext context)
    {
        var name = context.Request.RouteValues["name"] as string;
        if (name is not null && GroupKeys.IsValidName(name))
            return name;
        await ProblemWriter.WriteAsync(context, Problem.BadGroupName,
            $"'{IdParser.Echo(name)}' is no group name: [A-Za-z0-9._:-], 1 to {GroupKeys.MaxNameLength} characters, not . or ..", id: IdParser.Echo(name));
        return null;
    }

    private static Task NotFound(HttpContext context, string name) =>
        ProblemWriter.WriteAsync(context, Problem.GroupNotFound, $"group '{name}' has no members (never written, deleted, or emptied)");

    private Task StoreProblem(HttpContext context) =>
        ProblemWriter.WriteAsync(context, Problem.StoreUnavailable, $"the store did not answer: {groups.LastError ?? presence.LastError}");

    private static Task WriteMembershipProblem(HttpContext context, IdList list, string member) => list.Status switch
    {
        IdListStatus.TooMany => ProblemWriter.WriteAsync(context, Problem.GroupTooLarge, $"\"{member}\" holds more ids than a group may have members (--max-group-size); nothing was changed"),
        IdListStatus.BadId => ProblemWriter.WriteAsync(context, Problem.BadId,
            $"{member}[{list.BadIndex}] '{list.BadId}' is not an integer in 1 … 18446744073709551615", id: list.BadId, index: list.BadIndex),
        _ => ProblemWriter.WriteAsync(context, Problem.MalformedJson, list.Detail ?? "malformed body"),
    };

    private static void WriteSize(HttpContext context, string name, long members)
    {
        var writer = PresenceJson.ThreadWriter(out var buffer);
        writer.WriteStartObject();
        writer.WriteString("name"u8, name);
        writer.WriteNumber("members"u8, members);
        writer.WriteEndObject();
        writer.Flush();
        WriteJson(context, buffer.WrittenSpan);
    }

    private static void WriteJson(HttpContext context, ReadOnlySpan<byte> body)
    {
        var response = context.Response;
        response.ContentType = "application/json; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.ContentLength = body.Length;
        response.BodyWriter.Write(body);
    }
}
