using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Presence.Unit.Tests.Client;

/// <summary>
/// An <see cref="HttpMessageHandler"/> for a <c>PresenceClient</c> built on an <see cref="HttpClient"/>: answers each
/// request from a script, in order, and records what was asked. An answer's body is whole: an event stream
/// (a request accepting <c>text/event-stream</c> gets one) ends with it, as a dropped connection would. Once the
/// script is spent: 200 with <c>{}</c>, or for a stream a 500 problem, so a client that reconnects more than a
/// test expects fails instead of looping. No socket: what it tests is the requests the client builds and how it
/// reads answers.
/// </summary>
internal sealed class ScriptedHandler(params (HttpStatusCode Status, string Body)[] answers) : HttpMessageHandler
{
    private readonly ConcurrentQueue<(HttpStatusCode Status, string Body)> _answers = new(answers);

    /// <summary>Per request, in order: method, path and query, Authorization header, body (null without one).</summary>
    public ConcurrentQueue<(string Method, string PathAndQuery, string? Authorization, string? Body)> Requests { get; } = new();

    /// <summary>Per request, in order: its <c>Last-Event-ID</c> header, null without one.</summary>
    public ConcurrentQueue<string?> LastEventIds { get; } = new();

    /// <summary>A problem+json answer, as the service writes one.</summary>
    public static (HttpStatusCode, string) Problem(HttpStatusCode status, string type) =>
        (status, $$"""{"type":"{{type}}","title":"t","status":{{(int)status}},"detail":"d"}""");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string? body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Enqueue((request.Method.Method, request.RequestUri!.PathAndQuery, request.Headers.Authorization?.ToString(), body));
        LastEventIds.Enqueue(request.Headers.TryGetValues("Last-Event-ID", out var ids) ? ids.Single() : null);
        bool stream = request.Headers.Accept.Any(a => a.MediaType == "text/event-stream");
        var (status, text) = _answers.TryDequeue(out var next) ? next
            : stream ? Problem(HttpStatusCode.InternalServerError, "urn:presence:problem:internal") : (HttpStatusCode.OK, "{}");
        var media = (int)status >= 400 ? "application/problem+json" : stream ? "text/event-stream" : "application/json";
        return new HttpResponseMessage(status)
        {
            Content = status == HttpStatusCode.NoContent ? new ByteArrayContent([]) : new StringContent(text, Encoding.UTF8, media),
            RequestMessage = request,
        };
    }
}
