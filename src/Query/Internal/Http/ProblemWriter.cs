using System.Text.Json;

namespace Presence.Query.Internal.Http;

/// <summary>Writes <c>application/problem+json</c> answers (RFC 9457).</summary>
internal static class ProblemWriter
{
    public const string ContentType = "application/problem+json";

    public static Task WriteAsync(HttpContext context, Problem problem, string detail, string? id = null, int? index = null)
    {
        var response = context.Response;
        response.StatusCode = problem.Status;
        response.ContentType = ContentType;
        response.Headers.CacheControl = "no-store";
        var body = new ProblemBody(problem.Type, problem.Title, problem.Status, detail) { Id = id, Index = index };
        return JsonSerializer.SerializeAsync(response.Body, body, QueryJsonContext.Relaxed.ProblemBody, context.RequestAborted);
    }
}
