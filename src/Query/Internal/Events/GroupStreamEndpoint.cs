using Presence.Query.Internal.Http;
using Presence.Query.Internal.Store;

namespace Presence.Query.Internal.Events;

/// <summary>
/// <c>GET /v1/groups/{name}/events</c> and <c>POST /v1/groups/events</c> (HTTP-API.md, "Group streams"): the
/// request's checks, the membership read with its versions, then a resume after the client's
/// <c>Last-Event-ID</c> when its membership fingerprint is still the groups' (the counts rebuilt at its place,
/// <see cref="StreamStart.TryResumeWithStateAsync"/>) or a snapshot; the stream is <see cref="StreamLoop"/>'s,
/// written by a <see cref="GroupStreamBody"/> that <see cref="GroupWatch"/> tells of membership changes.
/// </summary>
internal sealed class GroupStreamEndpoint(GroupStreamServices services, GroupWatch watch)
{
    private readonly GroupStreamServices _services = services;
    private readonly GroupWatch _watch = watch;

    /// <summary><c>GET /v1/groups/{name}/events</c>: one group's stream.</summary>
    public async Task Get(HttpContext context)
    {
        if (await GroupEndpoints.NameOf(context).ConfigureAwait(false) is not { } name || await EventStreamEndpoint.DebounceOf(context).ConfigureAwait(false) is not { } debounce)
            return;
        await StartAsync(context, [name], debounce, aggregate: false).ConfigureAwait(false);
    }

    /// <summary><c>POST /v1/groups/events</c> with <c>{"names":[…]}</c>: many groups' aggregate stream.</summary>
    public async Task Post(HttpContext context)
    {
        int? debounce = null;
        // The debounce is checked after the body and before the store is asked.
        if (await GroupEndpoints.ReadNamedGroupsAsync(context, _services.Options, _services.Groups.CountAsync, StoreProblem, "one stream watches",
                check: async () => (debounce = await EventStreamEndpoint.DebounceOf(context).ConfigureAwait(false)) is not null).ConfigureAwait(false) is not { } read)
            return;
        await StartAsync(context, read.Distinct, debounce!.Value, aggregate: true).ConfigureAwait(false);
    }

    private async Task StartAsync(HttpContext context, string[] names, int debounceSeconds, bool aggregate)
    {
        var (status, versions, members) = await _services.Groups.ReadWithVersionsAsync(names).ConfigureAwait(false);
        if (status != StoreStatus.Ok)
        {
            await StoreProblem(context).ConfigureAwait(false);
            return;
        }
        var counts = new GroupCounts(names, members, versions);
        if (counts.Ids.Length > _services.Options.MaxGroupSize)
        {
            await TooManyMembers(context, names.Length, counts.Ids.Length).ConfigureAwait(false);
            return;
        }
        if (!await _services.Loop.AdmitAsync(context, _services.Store.Timeout).ConfigureAwait(false))
            return;

        var request = context.Request;
        string? lastEventId = request.Headers["Last-Event-ID"].FirstOrDefault() ?? request.Query["lastEventId"].FirstOrDefault();
        // Ends the stream when the client leaves, or when it fell too far behind (its queue overflowed).
        using var end = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var subscriber = new Subscriber(counts.Ids, end);
        var debouncer = debounceSeconds > 0 ? new Debouncer(debounceSeconds) : null;
        var catchUp = new List<Delivery>();
        string? epoch = null;
        StreamSnapshot? snapshot = null;
        if (TrySplit(lastEventId, counts.Fingerprint) is { } inner
            && await _services.Start.TryResumeWithStateAsync(subscriber, inner, debouncer, catchUp).ConfigureAwait(false) is { } resumed)
        {
            epoch = resumed.Epoch;
            counts.SetAll(resumed.Online);
        }
        else
        {
            catchUp.Clear();
            debouncer = debounceSeconds > 0 ? new Debouncer(debounceSeconds) : null; // a failed resume may have replayed into it
            snapshot = await _services.Start.TakeSnapshotAsync(subscriber, debouncer, catchUp).ConfigureAwait(false);
            if (snapshot is null)
            {
                await ProblemWriter.WriteAsync(context, Problem.StoreUnavailable,
                    $"the store did not answer the snapshot: {_services.Store.LastError ?? "no answer in time"}").ConfigureAwait(false);
                return;
            }
            epoch = snapshot.Epoch;
            counts.SetAll(GroupStreamBody.OnlineOf(snapshot.LastSeenMs));
        }
        var body = new GroupStreamBody(aggregate, counts, subscriber, debouncer, epoch, snapshot, catchUp, end, _services);
        using var watching = _watch.Watch(names, body.OnVersion);
        await _services.Loop.RunAsync(context, body, end).ConfigureAwait(false);
    }

    /// <summary>The id stream's part of a group stream's event id whose fingerprint is <paramref name="fingerprint"/>; null for any other.</summary>
    internal static string? TrySplit(string? lastEventId, string fingerprint)
    {
        int dot = lastEventId?.LastIndexOf('.') ?? -1;
        return dot > 0 && lastEventId.AsSpan(dot + 1).SequenceEqual(fingerprint) ? lastEventId![..dot] : null;
    }

    private Task TooManyMembers(HttpContext context, int groups, long members) =>
        ProblemWriter.WriteAsync(context, Problem.TooManyMembers,
            $"the {groups} groups named hold {members} members; one stream watches at most {_services.Options.MaxGroupSize} (--max-group-size): name fewer groups");

    private Task StoreProblem(HttpContext context) =>
        ProblemWriter.WriteAsync(context, Problem.StoreUnavailable, $"the store did not answer: {_services.Groups.LastError ?? _services.Store.LastError}");
}
