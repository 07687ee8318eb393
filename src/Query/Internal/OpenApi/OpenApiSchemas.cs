using Microsoft.OpenApi;

namespace Presence.Query.Internal.OpenApi;

/// <summary>The shapes of HTTP-API.md as OpenAPI schemas, under components/schemas.</summary>
internal static class OpenApiSchemas
{
    public const string UserId = "UserId";
    public const string UserIdInput = "UserIdInput";
    public const string UserPresence = "UserPresence";
    public const string BatchAnswer = "BatchAnswer";
    public const string IdsRequest = "IdsRequest";
    public const string Problem = "Problem";
    public const string OnlineEvent = "OnlineEvent";
    public const string OfflineEvent = "OfflineEvent";
    public const string OnlineCount = "OnlineCount";
    public const string GroupSize = "GroupSize";
    public const string GroupPresence = "GroupPresence";
    public const string MembershipChange = "MembershipChange";
    public const string GroupsRequest = "GroupsRequest";
    public const string GroupsAnswer = "GroupsAnswer";
    public const string GroupAggregate = "GroupAggregate";
    public const string GroupSnapshot = "GroupSnapshot";
    public const string MemberEvent = "MemberEvent";
    public const string MemberAdded = "MemberAdded";
    public const string MemberRemoved = "MemberRemoved";
    public const string GroupEvent = "GroupEvent";

    public const string GroupNamePattern = "^[A-Za-z0-9._:-]{1,128}$";

    private const string IdPattern = "^[1-9][0-9]{0,19}$";

    public static void AddTo(IDictionary<string, IOpenApiSchema> schemas, int maxBatch)
    {
        schemas[UserId] = new OpenApiSchema
        {
            Type = JsonSchemaType.String,
            Pattern = IdPattern,
            Description = "A user id, 1 … 18446744073709551615, as a decimal string: ids may exceed 2^53, past which a JSON number loses precision in JavaScript. Answers always give ids this way.",
            Examples = [OpenApiDescription.Example("\"42\"")],
        };
        schemas[UserIdInput] = new OpenApiSchema
        {
            Description = "A user id in a request: a decimal string (recommended, exact) or a JSON number (exact only up to 2^53 in many JSON libraries).",
            OneOf =
            [
                new OpenApiSchema { Type = JsonSchemaType.String, Pattern = IdPattern },
                new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "1", Maximum = "18446744073709551615" },
            ],
        };
        schemas[UserPresence] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "id", "online", "lastSeenMs" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["id"] = Ref(UserId),
                ["online"] = new OpenApiSchema { Type = JsonSchemaType.Boolean },
                ["lastSeenMs"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Integer | JsonSchemaType.Null,
                    Format = "int64",
                    Description = "Online: Unix milliseconds at which the ingester received the latest heartbeat. Offline: the last seen, a whole second (a multiple of 1000), when the user was online within --last-seen-days and the ingest runs with events on; else null.",
                },
            },
            Examples = [OpenApiDescription.Example("""{"id":"42","online":true,"lastSeenMs":1764270000123}""")],
        };
        schemas[BatchAnswer] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "users", "online" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["users"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    Items = Ref(UserPresence),
                    Description = "One entry per requested id, in request order (a repeated id appears again).",
                },
                ["online"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "How many of the entries are online." },
            },
        };
        schemas[IdsRequest] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "ids" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["ids"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Array,
                    Items = Ref(UserIdInput),
                    MinItems = 1,
                    MaxItems = maxBatch,
                    Description = $"At most {maxBatch} ids (--max-batch) for a batch; the events route takes up to --max-watch.",
                },
            },
            Examples = [OpenApiDescription.Example("""{"ids":["1","18446744073709551615",3]}""")],
        };
        schemas[Problem] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "RFC 9457 problem details.",
            Required = new HashSet<string> { "type", "title", "status", "detail" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["type"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Description = "A stable name to match on: urn:presence:problem:bad-id, no-ids, too-many-ids, malformed-json, unauthorized, not-found, method-not-allowed, body-too-large, unsupported-media-type, rate-limited, internal, store-unavailable, too-many-subscribers, forbidden, events-off, bad-debounce, bad-group-name, group-not-found, group-too-large, bad-parameter, bad-cursor, no-groups, too-many-groups, too-many-members.",
                },
                ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
                ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What was wrong with this request." },
                ["id"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "bad-id only: the offending id as the request gave it." },
                ["index"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "bad-id only: its position in the request's list." },
            },
            Examples = [OpenApiDescription.Example("""{"type":"urn:presence:problem:bad-id","title":"An id is not an integer in 1 … 18446744073709551615","status":400,"detail":"ids[1] 'x' is not an integer in 1 … 18446744073709551615","id":"x","index":1}""")],
        };
        schemas[OnlineEvent] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "data of an `online` event.",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["id"] = Ref(UserId),
                ["at"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Description = "Receive time (Unix ms) of the heartbeat that began the online period." },
            },
        };
        schemas[OnlineCount] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "Users online now, exact as of the events log: two answers with the same `at` count the same users.",
            Required = new HashSet<string> { "online", "at" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["online"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Description = "Users the events log has online." },
                ["at"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Description = "The newest `at` (Unix ms, the log's clock) of the transitions counted; 0 when none was counted since the count began." },
            },
            Examples = [OpenApiDescription.Example("""{"online":1234,"at":1764270000123}""")],
        };
        var name = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = GroupNamePattern, Description = "The group's name." };
        var idList = new OpenApiSchema { Type = JsonSchemaType.Array, Items = Ref(UserIdInput) };
        schemas[GroupSize] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "name", "members" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["name"] = name,
                ["members"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "Member count (0: the group does not exist)." },
            },
            Examples = [OpenApiDescription.Example("""{"name":"room-1","members":3}""")],
        };
        schemas[MembershipChange] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "`remove` is applied first, then `add`; at least one of them is given.",
            Properties = new Dictionary<string, IOpenApiSchema> { ["add"] = idList, ["remove"] = idList },
            Examples = [OpenApiDescription.Example("""{"add":["1","2"],"remove":["3"]}""")],
        };
        schemas[GroupPresence] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "name", "members", "online", "users", "next" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["name"] = name,
                ["members"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "Every member of the group." },
                ["online"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "Every online member of the group, whatever the page." },
                ["users"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = Ref(UserPresence), Description = "This page's members, ascending by id." },
                ["next"] = new OpenApiSchema { Type = JsonSchemaType.String | JsonSchemaType.Null, Description = "The cursor of the next page; null on the last." },
            },
            Examples = [OpenApiDescription.Example("""{"name":"room-1","members":3,"online":1,"users":[{"id":"1","online":true,"lastSeenMs":1764270000123},{"id":"2","online":false,"lastSeenMs":1764269000000}],"next":"2"}""")],
        };
        schemas[GroupsRequest] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "names" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["names"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = name, MinItems = 1, MaxItems = maxBatch },
            },
            Examples = [OpenApiDescription.Example("""{"names":["alice","bob"]}""")],
        };
        schemas[GroupAggregate] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "name", "online", "onlineMembers", "members", "lastSeenMs" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["name"] = name,
                ["online"] = new OpenApiSchema { Type = JsonSchemaType.Boolean, Description = "Whether any member is online." },
                ["onlineMembers"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                ["members"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "0 for a group that does not exist." },
                ["lastSeenMs"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.Integer | JsonSchemaType.Null,
                    Format = "int64",
                    Description = "The latest of the members' lastSeenMs (online: last heartbeat's receive time; offline: last seen); null when none is known.",
                },
            },
        };
        schemas[GroupsAnswer] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Required = new HashSet<string> { "groups", "online" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["groups"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = Ref(GroupAggregate), Description = "One entry per named group, in request order." },
                ["online"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "How many of the entries are online." },
            },
            Examples = [OpenApiDescription.Example("""{"groups":[{"name":"alice","online":true,"onlineMembers":2,"members":3,"lastSeenMs":1764270000123}],"online":1}""")],
        };
        schemas[OfflineEvent] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "data of an `offline` event.",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["id"] = Ref(UserId),
                ["at"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Description = "lastSeenMs + ttl for a timeout; the sign-out record's receive time for a sign-out." },
                ["reason"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [OpenApiDescription.Example("\"timeout\""), OpenApiDescription.Example("\"signout\"")] },
            },
        };
        AddGroupStreams(schemas);
    }

    /// <summary>The data of the group streams' events (HTTP-API.md, "Group streams").</summary>
    private static void AddGroupStreams(IDictionary<string, IOpenApiSchema> schemas)
    {
        var count = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "Members online after the event." };
        var members = new OpenApiSchema { Type = JsonSchemaType.Integer, Description = "Members after the event." };
        schemas[GroupSnapshot] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "data of one group's `snapshot`: the member count, the members online and their entries (online members only, ascending id).",
            Required = new HashSet<string> { "name", "members", "online", "users" },
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["name"] = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = GroupNamePattern },
                ["members"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                ["online"] = new OpenApiSchema { Type = JsonSchemaType.Integer },
                ["users"] = new OpenApiSchema { Type = JsonSchemaType.Array, Items = Ref(UserPresence) },
            },
            Examples = [OpenApiDescription.Example("""{"name":"room-1","members":3,"online":1,"users":[{"id":"1","online":true,"lastSeenMs":1764270000123}]}""")],
        };
        schemas[MemberEvent] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "data of one group's `online` and `offline` events: the id streams' (OnlineEvent, OfflineEvent) and `count`.",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["id"] = Ref(UserId),
                ["at"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64" },
                ["reason"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [OpenApiDescription.Example("\"timeout\""), OpenApiDescription.Example("\"signout\"")], Description = "`offline` only." },
                ["count"] = count,
            },
        };
        schemas[MemberAdded] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "data of `member_added`: the new member's entry at that point of the stream, with the counts after it.",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["id"] = Ref(UserId),
                ["online"] = new OpenApiSchema { Type = JsonSchemaType.Boolean },
                ["lastSeenMs"] = new OpenApiSchema { Type = JsonSchemaType.Integer | JsonSchemaType.Null, Format = "int64" },
                ["members"] = members,
                ["count"] = count,
            },
        };
        schemas[MemberRemoved] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "data of `member_removed`, with the counts after it.",
            Properties = new Dictionary<string, IOpenApiSchema> { ["id"] = Ref(UserId), ["members"] = members, ["count"] = count },
        };
        schemas[GroupEvent] = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            Description = "data of the aggregate stream's `online` (a group's first member online) and `offline` (its last gone) events.",
            Properties = new Dictionary<string, IOpenApiSchema>
            {
                ["name"] = new OpenApiSchema { Type = JsonSchemaType.String, Pattern = GroupNamePattern },
                ["at"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64", Description = "The member's `at`; for a membership change, when the node applied it." },
                ["reason"] = new OpenApiSchema
                {
                    Type = JsonSchemaType.String,
                    Enum = [OpenApiDescription.Example("\"timeout\""), OpenApiDescription.Example("\"signout\""), OpenApiDescription.Example("\"membership\"")],
                    Description = "`offline` only.",
                },
            },
        };
    }

    /// <summary>A reference to a component schema; resolved when the document is written.</summary>
    public static OpenApiSchemaReference Ref(string name, OpenApiDocument? document = null) => new(name, document);
}
