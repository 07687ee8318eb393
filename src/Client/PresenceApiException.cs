using System.Net;

namespace Presence.Client;

/// <summary>
/// The service answered an error: its RFC 9457 problem document (HTTP-API.md, "Errors"), read into
/// properties. <see cref="Type"/> is a stable name to match on (<see cref="PresenceProblemTypes"/>).
/// </summary>
public sealed class PresenceApiException : PresenceException
{
    public PresenceApiException(string message, HttpStatusCode status, string type, string title, string? detail)
        : base(message)
    {
        Status = status;
        Type = type;
        Title = title;
        Detail = detail;
    }

    public HttpStatusCode Status { get; }

    /// <summary>e.g. <c>urn:presence:problem:bad-id</c>; <c>about:blank</c> when the body was no problem document.</summary>
    public string Type { get; }

    public string Title { get; }

    public string? Detail { get; }

    /// <summary>The offending id of a bad-id problem, as the request gave it.</summary>
    public string? Id { get; init; }

    /// <summary>Its position in the request's list.</summary>
    public int? Index { get; init; }

    /// <summary>How long to wait before asking again (429, 503 with <c>Retry-After</c>).</summary>
    public TimeSpan? RetryAfter { get; init; }
}
