namespace Presence.Query.Internal.Http;

/// <summary>
/// The kinds of error the API answers (HTTP-API.md, "Errors"), each with its RFC 9457 type URI,
/// title and status. Types are URNs: stable names a client can match on, not pages to fetch.
/// </summary>
internal sealed class Problem
{
    private Problem(string name, string title, int status)
    {
        Type = "urn:presence:problem:" + name;
        Title = title;
        Status = status;
    }

    public string Type { get; }

    public string Title { get; }

    public int Status { get; }

    public static readonly Problem BadId = new("bad-id", "An id is not an integer in 1 … 18446744073709551615", 400);
    public static readonly Problem NoIds = new("no-ids", "No ids were given", 400);
    public static readonly Problem TooManyIds = new("too-many-ids", "More ids than one request may hold", 400);
    public static readonly Problem MalformedJson = new("malformed-json", "The body is not the JSON expected", 400);
    public static readonly Problem Unauthorized = new("unauthorized", "A valid bearer key is needed", 401);
    public static readonly Problem Forbidden = new("forbidden", "This route needs an admin key", 403);
    public static readonly Problem NotFound = new("not-found", "No such resource", 404);
    public static readonly Problem MethodNotAllowed = new("method-not-allowed", "Method not allowed here", 405);
    public static readonly Problem BodyTooLarge = new("body-too-large", "The body is larger than allowed", 413);
    public static readonly Problem UnsupportedMediaType = new("unsupported-media-type", "The body must be application/json in UTF-8", 415);
    public static readonly Problem RateLimited = new("rate-limited", "Too many requests from this client", 429);
    public static readonly Problem Internal = new("internal", "The service failed to answer", 500);
    public static readonly Problem StoreUnavailable = new("store-unavailable", "The presence store did not answer in time", 503);
    public static readonly Problem EventsOff = new("events-off", "The store has no events log", 503);
    public static readonly Problem BadDebounce = new("bad-debounce", "debounce must be an integer number of seconds in 0-60", 400);
    public static readonly Problem GroupNotFound = new("group-not-found", "The group has no members", 404);
    public static readonly Problem BadGroupName = new("bad-group-name", "A group name must match [A-Za-z0-9._:-]{1,128}", 400);
    public static readonly Problem GroupTooLarge = new("group-too-large", "The group would have more members than allowed", 400);
    public static readonly Problem BadParameter = new("bad-parameter", "A query parameter has a value the route does not take", 400);
    public static readonly Problem BadCursor = new("bad-cursor", "The cursor is not one this service gave", 400);
    public static readonly Problem NoGroups = new("no-groups", "No group names were given", 400);
    public static readonly Problem TooManyGroups = new("too-many-groups", "More group names than one request may hold", 400);
    public static readonly Problem TooManyMembers = new("too-many-members", "The named groups hold more members than one request may read", 400);
    public static readonly Problem TooManySubscribers = new("too-many-subscribers", "This node serves as many event streams as it may", 503);

    /// <summary>The problem for a status the framework set on its own (no route, wrong method, a bad request line).</summary>
    public static Problem ForStatus(int status) => status switch
    {
        401 => Unauthorized,
        404 => NotFound,
        405 => MethodNotAllowed,
        413 => BodyTooLarge,
        415 => UnsupportedMediaType,
        429 => RateLimited,
        503 => StoreUnavailable,
        >= 500 => Internal,
        _ => new Problem("bad-request", "Bad request", status),
    };
}
