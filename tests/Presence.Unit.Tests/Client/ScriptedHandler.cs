using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Presence.Unit.Tests.Client;

/// <summary>
/// An <see cref="HttpMessageHandler"/> for a <c>PresenceClient</c> built on an <see cref="HttpClient"/>: answers each
/// request from a script, in order (200 with <c>{}</c> once the script is spent), and records what was asked.
/// No socket: what it tests is the requests the client builds and how it reads answers.
/// </summary>
internal sealed class ScriptedHandler(params (HttpStatusCode Status, string Body)[] answers) : HttpMessageHandler
{
    private readonly ConcurrentQueue<(HttpStatusCode Status, string Body)> _answers = new(answers);

    /// <summary>Per request, in order: method, path and query, Authorization header, body (null without one).</summary>
    public ConcurrentQueue<(string Method, string PathAndQuery, string? Authorization, string? Body)> Requests { get; } = new();

    /// <summary>A problem+json answer, as the service writes one.</summary>
    public static (HttpStatusCode, string) Problem(HttpStatusCode status, string type) =>
        (status, $$"""{"type":"{{type}}","title":"t","status":{{(int)status}},"detail":"d"}""");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        string? body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
        Requests.Enqueue((request.Method.Method, request.RequestUri!.PathAndQuery, request.Headers.Authorization?.ToString(), body));
        var (status, text) = _answers.TryDequeue(out var next) ? next : (HttpStatusCode.OK, "{}");
        var media = (int)status >= 400 ? "application/problem+json" : "application/json";
        return new HttpResponseMessage(status)
        {
            Content = status == HttpStatusCode.NoContent ? new ByteArrayContent([]) : new StringContent(text, Encoding.UTF8, media),
            RequestMessage = request,
        };
    }
}
