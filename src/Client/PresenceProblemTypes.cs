namespace Presence.Client;

/// <summary>The problem types the service answers (HTTP-API.md, "Errors"): match <see cref="PresenceApiException.Type"/> on them.</summary>
public static class PresenceProblemTypes
{
    private const string Prefix = "urn:presence:problem:";

    public const string BadId = Prefix + "bad-id";
    public const string NoIds = Prefix + "no-ids";
    public const string TooManyIds = Prefix + "too-many-ids";
    public const string MalformedJson = Prefix + "malformed-json";
    public const string Unauthorized = Prefix + "unauthorized";
    /// <summary>403 from an admin route: the key is a read key, or the service has no <c>--admin-keys</c>.</summary>
    public const string Forbidden = Prefix + "forbidden";
    public const string NotFound = Prefix + "not-found";

    /// <summary>404: a single-group route for a group with no members (the group clients read it as 0 members).</summary>
    public const string GroupNotFound = Prefix + "group-not-found";
    public const string MethodNotAllowed = Prefix + "method-not-allowed";
    public const string BodyTooLarge = Prefix + "body-too-large";
    public const string UnsupportedMediaType = Prefix + "unsupported-media-type";
    public const string RateLimited = Prefix + "rate-limited";
    public const string Internal = Prefix + "internal";
    public const string StoreUnavailable = Prefix + "store-unavailable";

    /// <summary>503 from the online count: the store has no events log (the ingesters run with <c>--events off</c>).</summary>
    public const string EventsOff = Prefix + "events-off";

    /// <summary>503 from the events route: the node already serves its most streams (<c>--max-subscribers</c>); see Retry-After, or use another node.</summary>
    public const string TooManySubscribers = Prefix + "too-many-subscribers";

    /// <summary>400 from the events routes: <c>debounce</c> is not an integer number of seconds in 0-60.</summary>
    public const string BadDebounce = Prefix + "bad-debounce";

    /// <summary>400 from the group routes: a name not matching <c>[A-Za-z0-9._:-]{1,128}</c> (the client refuses one before asking).</summary>
    public const string BadGroupName = Prefix + "bad-group-name";

    /// <summary>400 from a membership write that would leave the group over the service's <c>--max-group-size</c>; nothing was changed.</summary>
    public const string GroupTooLarge = Prefix + "group-too-large";

    /// <summary>400 from one group's presence: <c>limit</c> not in 1 … the service's <c>--max-batch</c>, or <c>online</c> not <c>only</c> or <c>all</c>.</summary>
    public const string BadParameter = Prefix + "bad-parameter";

    /// <summary>400 from one group's presence: the cursor is not a <see cref="GroupPage.Next"/> this service gave.</summary>
    public const string BadCursor = Prefix + "bad-cursor";

    /// <summary>400 from many groups' presence: no names.</summary>
    public const string NoGroups = Prefix + "no-groups";

    /// <summary>400 from many groups' presence: more names than the service's <c>--max-batch</c>.</summary>
    public const string TooManyGroups = Prefix + "too-many-groups";

    /// <summary>400 from many groups' presence: the named groups hold more than the service's <c>--max-group-size</c> members in all; name fewer groups.</summary>
    public const string TooManyMembers = Prefix + "too-many-members";
}
