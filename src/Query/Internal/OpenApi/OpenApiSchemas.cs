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
                    Description = "A stable name to match on: urn:presence:problem:bad-id, no-ids, too-many-ids, malformed-json, unauthorized, not-found, method-not-allowed, body-too-large, unsupported-media-type, rate-limited, internal, store-unavailable, too-many-subscribers, forbidden, events-off, bad-debounce.",
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
    }

    /// <summary>A reference to a component schema; resolved when the document is written.</summary>
    public static OpenApiSchemaReference Ref(string name, OpenApiDocument? document = null) => new(name, document);
}
