using Microsoft.OpenApi;

namespace Presence.Query.Internal.OpenApi;

/// <summary>The routes of HTTP-API.md as the OpenAPI document describes them, and the errors they answer.</summary>
internal static class OpenApiRoutes
{
    /// <summary>What any route may answer besides success: the service's own failure.</summary>
    public static readonly int[] CommonErrors = [500];

    private static readonly int[] s_batchErrors = [400, 429, 500, 503];
    private static readonly int[] s_bodyErrors = [400, 413, 415, 429, 500, 503];
    private static readonly int[] s_groupWriteErrors = [400, 401, 403, 413, 415, 429, 500, 503];

    private const string GroupPath = "/v1/groups/{name}";

    private static readonly OpenApiRoute[] s_routes =
    [
        new("GET", "/v1/presence/{id}", "One user's presence",
            "Offline: `online` false and `lastSeenMs` the last seen (whole seconds) or null. The id is a decimal string in the path.",
            s_batchErrors, d => Json(d, "The user's presence.", OpenApiSchemas.UserPresence))
        {
            Parameters = (_, _) =>
            [
                new OpenApiParameter
                {
                    Name = "id", In = ParameterLocation.Path, Required = true,
                    Description = "User id, 1 … 18446744073709551615.",
                    Schema = OpenApiSchemas.Ref(OpenApiSchemas.UserId),
                },
            ],
        },
        new("GET", "/v1/presence", "Batch presence (query string)",
            "One entry per id, in request order; one store round trip per node.",
            s_batchErrors, d => Json(d, "One entry per requested id, in request order.", OpenApiSchemas.BatchAnswer))
        {
            Parameters = (_, o) =>
            [
                new OpenApiParameter
                {
                    Name = "ids", In = ParameterLocation.Query, Required = true,
                    Description = $"Comma-separated decimal ids, 1 to {o.MaxBatch} (--max-batch).",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[0-9]+(,[0-9]+)*$" },
                    Example = OpenApiDescription.Example("\"1,2,18446744073709551615\""),
                },
            ],
        },
        new("POST", "/v1/presence/query", "Batch presence (JSON body)",
            "The same answer as GET /v1/presence, for ids in a JSON body; ids may be JSON numbers or decimal strings (strings are exact).",
            s_bodyErrors, d => Json(d, "One entry per requested id, in request order.", OpenApiSchemas.BatchAnswer))
        {
            Body = (_, o) => IdsBody($"At most {o.MaxBatch} ids (--max-batch), at most {o.MaxBody} bytes (--max-body)."),
        },
        new("GET", "/v1/presence/events", "Presence events (EventSource)",
            "A text/event-stream of `snapshot`, `online` and `offline` events for up to --max-batch ids; resume with Last-Event-ID (header) or lastEventId (query).",
            [400, 401, 429, 500, 503], Events)
        {
            Parameters = (_, _) =>
            [
                new OpenApiParameter
                {
                    Name = "ids", In = ParameterLocation.Query, Required = true, Description = "Comma-separated decimal ids.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = "^[0-9]+(,[0-9]+)*$" },
                },
                new OpenApiParameter { Name = "lastEventId", In = ParameterLocation.Query, Description = "Resume after this event.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                new OpenApiParameter { Name = "Last-Event-ID", In = ParameterLocation.Header, Description = "Resume after this event.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                Debounce(),
            ],
        },
        new("POST", "/v1/presence/events", "Presence events (JSON body)",
            "As GET /v1/presence/events, for up to --max-watch ids in a JSON body.",
            [400, 401, 413, 415, 429, 500, 503], Events)
        {
            Parameters = (_, _) =>
            [
                new OpenApiParameter { Name = "Last-Event-ID", In = ParameterLocation.Header, Description = "Resume after this event.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
                Debounce(),
            ],
            Body = (_, _) => IdsBody("The ids to watch, up to --max-watch (default 10,000)."),
        },
        new("GET", "/v1/presence/count", "Online count",
            "Users online now, exact as of the events log (O(1) store work). 503 events-off when the store has no events log.",
            [401, 429, 500, 503], d => Json(d, "The number of users online and the log time it is exact at.", OpenApiSchemas.OnlineCount)),
        new("DELETE", "/v1/presence/{id}/last-seen", "Erase a last seen (admin)",
            "Forgets the user's last seen (privacy); 204 also when none was kept. An online user stays online. Needs a key of --admin-keys in the Authorization header.",
            [400, 401, 403, 429, 500, 503], _ => new OpenApiResponse { Description = "Forgotten (or there was nothing)." }, "204")
        {
            Parameters = (_, _) =>
            [
                new OpenApiParameter
                {
                    Name = "id", In = ParameterLocation.Path, Required = true,
                    Description = "User id, 1 … 18446744073709551615.",
                    Schema = OpenApiSchemas.Ref(OpenApiSchemas.UserId),
                },
            ],
        },
        new("PUT", GroupPath, "Replace a group's members (admin)",
            "Replaces every member atomically; an empty list deletes the group. Needs a key of --admin-keys. "
            + "A group of more than --max-group-size members is 400 group-too-large and changes nothing.",
            s_groupWriteErrors, d => Json(d, "The group's name and member count after the write.", OpenApiSchemas.GroupSize))
        {
            Parameters = (_, _) => [GroupName()],
            Body = (_, o) => new OpenApiRequestBody
            {
                Required = true,
                Description = $"The members, at most {o.MaxGroupSize} (--max-group-size); the body may be {o.MembershipBodyLimit} bytes.",
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new()
                    {
                        Schema = new OpenApiSchema
                        {
                            Type = JsonSchemaType.Object,
                            Required = new HashSet<string> { "ids" },
                            Properties = new Dictionary<string, IOpenApiSchema>
                            {
                                ["ids"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = OpenApiSchemas.Ref(OpenApiSchemas.UserIdInput), MaxItems = o.MaxGroupSize },
                            },
                        },
                        Example = OpenApiDescription.Example("""{"ids":["1","2","3"]}"""),
                    },
                },
            },
        },
        new("POST", GroupPath + "/members", "Add and remove members (admin)",
            "Atomically: `remove` first, then `add`; creates the group; a group left empty stops existing. Either list may be left out, not both. "
            + "Needs a key of --admin-keys.",
            s_groupWriteErrors, d => Json(d, "The group's name and member count after the write.", OpenApiSchemas.GroupSize))
        {
            Parameters = (_, _) => [GroupName()],
            Body = (d, o) => new OpenApiRequestBody
            {
                Required = true,
                Description = $"Ids to remove and to add; the group may hold at most {o.MaxGroupSize} (--max-group-size).",
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = OpenApiSchemas.Ref(OpenApiSchemas.MembershipChange, d) } },
            },
        },
        new("DELETE", GroupPath, "Delete a group (admin)",
            "Forgets the group's members; 204 also when it did not exist. Needs a key of --admin-keys.",
            [400, 401, 403, 429, 500, 503], _ => new OpenApiResponse { Description = "Deleted (or there was nothing)." }, "204")
        {
            Parameters = (_, _) => [GroupName()],
        },
        new("GET", GroupPath, "A group's size",
            "The member count; 404 when the group has no members.",
            [400, 404, 429, 500, 503], d => Json(d, "The group's name and member count.", OpenApiSchemas.GroupSize))
        {
            Parameters = (_, _) => [GroupName()],
        },
        new("GET", GroupPath + "/presence", "One group's presence, paged",
            "Members in ascending id order with their presence; `online` counts every online member, whatever the page. "
            + "Store work per page: the group's members and the presence of every member (one round trip per node).",
            [400, 404, 429, 500, 503], d => Json(d, "A page of members, the group's counts and the cursor of the next page.", OpenApiSchemas.GroupPresence))
        {
            Parameters = (_, o) =>
            [
                GroupName(),
                new OpenApiParameter
                {
                    Name = "online", In = ParameterLocation.Query, Description = "`only`: list online members only; `all` (default): every member.",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [OpenApiDescription.Example("\"all\""), OpenApiDescription.Example("\"only\"")] },
                },
                new OpenApiParameter
                {
                    Name = "limit", In = ParameterLocation.Query, Description = $"Members a page, 1 to {o.MaxBatch} (--max-batch, also the default).",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Maximum = o.MaxBatch.ToString(System.Globalization.CultureInfo.InvariantCulture) },
                },
                new OpenApiParameter
                {
                    Name = "cursor", In = ParameterLocation.Query, Description = "The `next` of the previous page (opaque).",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                },
            ],
        },
        new("POST", "/v1/groups/presence", "Many groups' aggregate presence",
            "Per named group, in request order: online while any member is, the members online, the member count and the latest lastSeenMs "
            + "(a user with several devices is a group of them). The named groups may hold at most --max-group-size members in all.",
            s_bodyErrors, d => Json(d, "One entry per named group, in request order, and how many are online.", OpenApiSchemas.GroupsAnswer))
        {
            Body = (d, o) => new OpenApiRequestBody
            {
                Required = true,
                Description = $"At most {o.MaxBatch} group names (--max-batch).",
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = OpenApiSchemas.Ref(OpenApiSchemas.GroupsRequest, d) } },
            },
        },
        new("GET", GroupPath + "/events", "One group's events",
            "A text/event-stream: `snapshot` (GroupSnapshot), then `online`/`offline` (MemberEvent, with the count online after it), "
            + "`member_added` (MemberAdded) and `member_removed` (MemberRemoved) when the membership changes while it is open (this node's writes at once, "
            + "other nodes' within about a second); resume with Last-Event-ID while the membership is the event's, else a fresh snapshot. "
            + "A name with no members opens a stream too.",
            [400, 401, 429, 500, 503], d => Events(d, "One group's events.", OpenApiSchemas.GroupSnapshot, OpenApiSchemas.MemberEvent, OpenApiSchemas.MemberAdded, OpenApiSchemas.MemberRemoved))
        {
            Parameters = (_, _) => [GroupName(), .. Resume(), Debounce()],
        },
        new("POST", "/v1/groups/events", "Many groups' events",
            "A text/event-stream: `snapshot` (GroupsAnswer), then `online` when a group's first member comes online and `offline` when its last goes "
            + "(GroupEvent; a membership change that turns a group sends them too, reason `membership`). The named groups may hold at most "
            + "--max-group-size members in all.",
            s_bodyErrors, d => Events(d, "Many groups' events.", OpenApiSchemas.GroupsAnswer, OpenApiSchemas.GroupEvent))
        {
            Parameters = (_, _) => [.. Resume(), Debounce()],
            Body = (d, o) => new OpenApiRequestBody
            {
                Required = true,
                Description = $"At most {o.MaxBatch} group names (--max-batch).",
                Content = new Dictionary<string, OpenApiMediaType> { ["application/json"] = new() { Schema = OpenApiSchemas.Ref(OpenApiSchemas.GroupsRequest, d) } },
            },
        },
        new("GET", "/healthz", "Liveness", "200 while the process runs; never asks the store.", CommonErrors, _ => Text("ok")),
        new("GET", "/readyz", "Readiness", "200 when the store answers a ping within the store timeout, else 503.", [500, 503], _ => Text("ready")),
        new("GET", "/metrics", "Prometheus metrics", "Prometheus text exposition format 0.0.4.", CommonErrors, _ => Text("Prometheus text format", "text/plain; version=0.0.4")),
    ];

    public static OpenApiRoute? Find(string method, string path) =>
        Array.Find(s_routes, r => r.Method.Equals(method, StringComparison.OrdinalIgnoreCase) && r.Path == path);

    public static string ErrorMeaning(int status) => status switch
    {
        400 => "An id that is not an integer in 1 … 18446744073709551615 (the problem names it), no ids, more than the limit, or malformed JSON; "
            + "on the group routes also bad-group-name, group-too-large, bad-parameter, bad-cursor, no-groups, too-many-groups, too-many-members.",
        404 => "No such group (problem group-not-found): it has no members (never written, deleted or emptied).",
        401 => "No valid `Authorization: Bearer <key>` while the service has --api-keys (on an admin route: no key of --admin-keys).",
        403 => "An admin route with a read key, or on a service without --admin-keys (problem forbidden).",
        413 => "The body is over --max-body (the ids are over --max-watch on the events route; a membership body may be 32 × --max-group-size bytes, a body of group names 131 × --max-batch + 64).",
        415 => "The body is not application/json in UTF-8.",
        429 => "Over the client's rate limit (--rate-limit); see Retry-After.",
        503 => "The store did not answer within its timeout (the service never hangs), the node serves its most event streams, or (the online count) the store has no events log (problem events-off).",
        _ => "The service failed to answer; its log has the cause.",
    };

    private static OpenApiResponse Json(OpenApiDocument document, string description, string schema) => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/json"] = new() { Schema = new OpenApiSchemaReference(schema, document) },
        },
    };

    /// <summary>The events routes' <c>debounce</c> (HTTP-API.md, "Debounce").</summary>
    private static OpenApiParameter Debounce() => new()
    {
        Name = "debounce",
        In = ParameterLocation.Query,
        Description = "Seconds (0-60, default 0) an `offline` is held: sent S s after its `at`, and neither it nor the user's next `online` "
            + "is sent when that `online` comes first. Else 400 bad-debounce. A debounced stream's ids resume on the node that sent them "
            + "(another node answers a fresh snapshot).",
        Schema = new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0", Maximum = "60", Default = System.Text.Json.Nodes.JsonValue.Create(0) },
    };

    private static OpenApiParameter GroupName() => new()
    {
        Name = "name",
        In = ParameterLocation.Path,
        Required = true,
        Description = "Group name, case-sensitive; else 400 bad-group-name.",
        Schema = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = OpenApiSchemas.GroupNamePattern },
    };

    private static OpenApiResponse Text(string description, string contentType = "text/plain") => new()
    {
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            [contentType] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
        },
    };

    /// <summary>The resume parameters of every stream route.</summary>
    private static OpenApiParameter[] Resume() =>
    [
        new OpenApiParameter { Name = "lastEventId", In = ParameterLocation.Query, Description = "Resume after this event.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
        new OpenApiParameter { Name = "Last-Event-ID", In = ParameterLocation.Header, Description = "Resume after this event.", Schema = new OpenApiSchema { Type = JsonSchemaType.String } },
    ];

    /// <summary>A group stream's answer: a text/event-stream whose data lines are one of <paramref name="schemas"/>.</summary>
    private static OpenApiResponse Events(OpenApiDocument document, string description, params string[] schemas) => new()
    {
        Description = description + " A held-open text/event-stream (Cache-Control: no-store); every event has an `id:` line to resume from; "
            + "`: keepalive` comments at least every 15 s.",
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["text/event-stream"] = new()
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Description = "Server-Sent Events; each data line is JSON: " + string.Join(", ", schemas) + ".",
                    AnyOf = [.. schemas.Select(s => (IOpenApiSchema)new OpenApiSchemaReference(s, document))],
                },
            },
        },
    };

    private static OpenApiResponse Events(OpenApiDocument document) => new()
    {
        Description = "A held-open text/event-stream (Cache-Control: no-store). `event: snapshot` first (data: a BatchAnswer, one entry per "
            + "distinct watched id), then `online` (data: OnlineEvent) and `offline` (data: OfflineEvent) events, each with an `id:` line "
            + "to resume from; `: keepalive` comments at least every 15 s.",
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["text/event-stream"] = new()
            {
                Schema = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Description = "Server-Sent Events; each data line is JSON: BatchAnswer, OnlineEvent or OfflineEvent.",
                    AnyOf =
                    [
                        new OpenApiSchemaReference(OpenApiSchemas.BatchAnswer, document),
                        new OpenApiSchemaReference(OpenApiSchemas.OnlineEvent, document),
                        new OpenApiSchemaReference(OpenApiSchemas.OfflineEvent, document),
                    ],
                },
            },
        },
    };

    private static OpenApiRequestBody IdsBody(string description) => new()
    {
        Required = true,
        Description = description,
        Content = new Dictionary<string, OpenApiMediaType>
        {
            ["application/json"] = new() { Schema = OpenApiSchemas.Ref(OpenApiSchemas.IdsRequest) },
        },
    };
}
