using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Presence.Client.Internal;

namespace Presence.Client;

/// <summary>
/// The query service's API (docs/HTTP-API.md) for app backends: batch presence with
/// <see cref="GetAsync(IReadOnlyList{ulong}, CancellationToken)"/> (offline users with their last
/// seen), the online count with <see cref="CountAsync"/>, erasing a last seen with
/// <see cref="EraseLastSeenAsync"/>, groups (membership with an admin key: <see cref="ReplaceGroupAsync"/>;
/// a user with several devices: <see cref="GetGroupsPresenceAsync"/>), and the presence events stream with <see cref="WatchAsync(IReadOnlyCollection{ulong}, string, TimeSpan?, CancellationToken)"/>. An error answer is a <see cref="PresenceApiException"/>
/// carrying the problem document; no answer, or one outside the contract, a <see cref="PresenceException"/>.
/// Thread-safe; make one per service and keep it.
/// </summary>
public sealed partial class PresenceClient : IDisposable
{
    private const string QueryPath = "v1/presence/query";
    private const string EventsPath = "v1/presence/events";
    private static readonly MediaTypeHeaderValue s_json = new("application/json");

    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly PresenceClientOptions _options;

    /// <param name="baseAddress">The service, e.g. <c>http://127.0.0.1:8080</c>; a path (<c>/api</c>) is kept.</param>
    public PresenceClient(Uri baseAddress, PresenceClientOptions? options = null)
        : this(CreateHttp(options ?? new PresenceClientOptions()), baseAddress, options, ownsHttp: true)
    {
    }

    /// <summary>Uses <paramref name="http"/> (e.g. from IHttpClientFactory) as it is configured; its lifetime stays the caller's.</summary>
    public PresenceClient(HttpClient http, Uri baseAddress, PresenceClientOptions? options = null)
        : this(http, baseAddress, options, ownsHttp: false)
    {
    }

    private PresenceClient(HttpClient http, Uri baseAddress, PresenceClientOptions? options, bool ownsHttp)
    {
        ArgumentNullException.ThrowIfNull(baseAddress);
        if (!baseAddress.IsAbsoluteUri || (baseAddress.Scheme != Uri.UriSchemeHttp && baseAddress.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"The base address must be an absolute http(s) URI, not '{baseAddress}'.", nameof(baseAddress));
        _options = options ?? new PresenceClientOptions();
        _options.Validate();
        _http = http;
        _ownsHttp = ownsHttp;
        // "http://host:8080/api" and "http://host:8080/api/" both mean the service under /api/.
        BaseAddress = baseAddress.AbsolutePath.EndsWith('/') ? baseAddress : new Uri(baseAddress.AbsoluteUri + "/");
    }

    public Uri BaseAddress { get; }

    /// <summary><c>POST /v1/presence/query</c>: where batches go.</summary>
    public Uri QueryEndpoint => new(BaseAddress, QueryPath);

    /// <summary><c>GET /v1/presence/{id}</c>.</summary>
    public async Task<UserPresence> GetAsync(ulong id, CancellationToken cancel = default)
    {
        CheckId(id, 0);
        var url = new Uri(BaseAddress, "v1/presence/" + id.ToString(CultureInfo.InvariantCulture));
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        var user = await SendAsync(request, ClientJsonContext.Default.WireUser, cancel);
        var answer = ToPresence(user, url);
        if (answer.Id != id)
            throw new PresenceException($"{url} answered id {answer.Id} where {id} was asked");
        return answer;
    }

    /// <summary>
    /// <c>POST /v1/presence/query</c>: one answer per id, in the order asked (a repeated id is
    /// answered again). More than <see cref="PresenceClientOptions.MaxBatch"/> ids take several requests.
    /// </summary>
    public async Task<IReadOnlyList<UserPresence>> GetAsync(IReadOnlyList<ulong> ids, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        for (int i = 0; i < ids.Count; i++)
            CheckId(ids[i], i);
        var result = new UserPresence[ids.Count];
        var url = QueryEndpoint;
        for (int start = 0; start < ids.Count; start += _options.MaxBatch)
        {
            int count = Math.Min(_options.MaxBatch, ids.Count - start);
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = JsonIds(ids, start, count) };
            var answer = await SendAsync(request, ClientJsonContext.Default.WireBatch, cancel);
            if (answer.Users is not { } users || users.Count != count)
                throw new PresenceException($"{url} answered {answer.Users?.Count ?? 0} users for {count} ids asked");
            for (int i = 0; i < count; i++)
            {
                var user = ToPresence(users[i], url);
                if (user.Id != ids[start + i])
                    throw new PresenceException($"{url} answered id {user.Id} where {ids[start + i]} was asked (answers keep request order)");
                result[start + i] = user;
            }
        }
        return result;
    }

    /// <summary>
    /// <c>GET /v1/presence/count</c>: the users online now. A store without an events log (the ingesters run
    /// with <c>--events off</c>) answers 503 <see cref="PresenceProblemTypes.EventsOff"/>, thrown as a <see cref="PresenceApiException"/>.
    /// </summary>
    public async Task<OnlineCount> CountAsync(CancellationToken cancel = default)
    {
        var url = new Uri(BaseAddress, "v1/presence/count");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        var answer = await SendAsync(request, ClientJsonContext.Default.WireCount, cancel);
        if (answer.Online is not { } online || answer.At is not { } at || online < 0)
            throw new PresenceException($"{url} answered a count outside the contract (online {answer.Online?.ToString(CultureInfo.InvariantCulture) ?? "missing"}, at {answer.At?.ToString(CultureInfo.InvariantCulture) ?? "missing"})");
        return new OnlineCount(online, at);
    }

    /// <summary>
    /// <c>DELETE /v1/presence/{id}/last-seen</c> (privacy): forgets the user's last seen. Needs a key of the
    /// service's <c>--admin-keys</c>, given here (not the client's read key): a read key or a service
    /// without admin keys answers 403 <see cref="PresenceProblemTypes.Forbidden"/>. An online user stays online.
    /// </summary>
    public async Task EraseLastSeenAsync(ulong id, string adminKey, CancellationToken cancel = default)
    {
        CheckId(id, 0);
        ArgumentException.ThrowIfNullOrEmpty(adminKey);
        var url = new Uri(BaseAddress, "v1/presence/" + id.ToString(CultureInfo.InvariantCulture) + "/last-seen");
        using var request = new HttpRequestMessage(HttpMethod.Delete, url);
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancel, adminKey);
        if (response.StatusCode != HttpStatusCode.NoContent)
        {
            if (!response.IsSuccessStatusCode)
                throw await ProblemAsync(response, url, cancel);
            throw new PresenceException($"{url} answered {(int)response.StatusCode} where 204 was expected");
        }
    }

    /// <summary><c>GET /readyz</c>: whether the service's store answers. False for any answer but 200.</summary>
    public async Task<bool> IsReadyAsync(CancellationToken cancel = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(BaseAddress, "readyz"));
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancel);
        return response.StatusCode == HttpStatusCode.OK;
    }

    /// <summary>
    /// <c>POST /v1/presence/events</c>: a snapshot of <paramref name="ids"/>, then every change,
    /// until <paramref name="cancel"/>. Pass the <see cref="PresenceEvent.EventId"/> of the last
    /// event handled as <paramref name="lastEventId"/> to resume after it. A failure to connect the
    /// first time throws; after that a dropped or silent stream (nothing for
    /// <see cref="PresenceClientOptions.EventsReadTimeout"/>) reconnects with <c>Last-Event-ID</c>,
    /// and the service resumes or sends a fresh snapshot: no gap goes unsaid. Errors that retrying
    /// cannot fix (400, 401, 413, 415) throw at any time.
    /// </summary>
    /// <param name="debounce">
    /// A flap-free stream (docs/HTTP-API.md, "Debounce (flap-free streams)"): whole seconds S in 0-60,
    /// sent as <c>?debounce=S</c> on every connection, reconnects included; null or zero is the plain
    /// stream (no parameter). A <see cref="UserOffline"/> is sent S s after its <see cref="UserOffline.At"/>
    /// (at once when the service reads it later than that), and when the user's next online reaches the
    /// service before then, neither event is sent: a blink shorter than S is never shown, and a user stays
    /// offline on the stream no longer than on the plain one. <see cref="UserOnline"/> is never delayed; a
    /// snapshot shows a user whose offline is being held as online. A debounced stream resumes (with
    /// <c>Last-Event-ID</c>) only on the query node that sent it: another node, or the same one after a
    /// restart, answers a fresh snapshot, so behind a load balancer keep a client's reconnects on one node
    /// (sticky sessions). Anything but whole seconds in 0-60 throws <see cref="ArgumentOutOfRangeException"/>
    /// when the enumeration starts, before any request (the service would answer 400
    /// <see cref="PresenceProblemTypes.BadDebounce"/>).
    /// </param>
    public async IAsyncEnumerable<PresenceEvent> WatchAsync(IReadOnlyCollection<ulong> ids, string? lastEventId = null,
        TimeSpan? debounce = null, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var list = ids as IReadOnlyList<ulong> ?? [.. ids];
        if (list.Count == 0)
            throw new ArgumentException("Watch at least one id.", nameof(ids));
        for (int i = 0; i < list.Count; i++)
            CheckId(list[i], i);
        int debounceSeconds = EventsDebounce.Seconds(debounce, nameof(debounce));

        // Built once: every connection, reconnects included, asks for the same debounce.
        var url = new Uri(BaseAddress, EventsPath + EventsDebounce.Query(debounceSeconds));
        await foreach (var e in StreamAsync(HttpMethod.Post, url, () => JsonIds(list, 0, list.Count), lastEventId, sse => ToEvent(sse, url), cancel))
            yield return e;
    }

    /// <summary>
    /// The plain stream (no debounce), for callers that pass the token third: the same as
    /// <see cref="WatchAsync(IReadOnlyCollection{ulong}, string, TimeSpan?, CancellationToken)"/> with no debounce.
    /// </summary>
    public IAsyncEnumerable<PresenceEvent> WatchAsync(IReadOnlyCollection<ulong> ids, string? lastEventId, CancellationToken cancel) =>
        WatchAsync(ids, lastEventId, debounce: null, cancel);

    /// <summary>
    /// The events routes' connection loop, shared by every stream (ids, one group, many groups): connects to
    /// <paramref name="url"/> (a new <paramref name="body"/> per connection, none when null) with <c>Last-Event-ID</c>
    /// once an id is known, reads it with <see cref="EventStreamReader"/> and passes each event through
    /// <paramref name="toEvent"/> (null: skipped). The first connection's failure throws; after that a dropped or silent
    /// stream reconnects (after the server's <c>retry:</c> when it gave one), 429 and 503 are retried after
    /// <c>Retry-After</c> or the growing delay, no answer after the growing delay, and any other problem throws.
    /// </summary>
    private async IAsyncEnumerable<T> StreamAsync<T>(HttpMethod method, Uri url, Func<HttpContent>? body, string? lastEventId,
        Func<SseEvent, T?> toEvent, [EnumeratorCancellation] CancellationToken cancel)
        where T : class
    {
        string? last = lastEventId;
        TimeSpan? serverRetry = null;
        var delay = _options.ReconnectDelay;
        bool connected = false;
        while (true)
        {
            HttpResponseMessage response;
            try
            {
                response = await OpenEventsAsync(method, url, body, last, cancel);
            }
            catch (PresenceApiException e) when (connected && _options.Reconnect && (int)e.Status is 429 or 503)
            {
                await Task.Delay(e.RetryAfter ?? delay, cancel);
                delay = Next(delay);
                continue;
            }
            catch (PresenceException e) when (connected && _options.Reconnect && e is not PresenceApiException)
            {
                await Task.Delay(serverRetry ?? delay, cancel);
                delay = Next(delay);
                continue;
            }
            connected = true;
            delay = _options.ReconnectDelay;

            using (response)
            {
                var stream = await response.Content.ReadAsStreamAsync(cancel);
                var reader = new EventStreamReader(new ReadTimeoutStream(stream, _options.EventsReadTimeout), last);
                await foreach (var sse in reader.ReadAsync(cancel))
                {
                    last = sse.LastEventId;
                    if (toEvent(sse) is { } e)
                        yield return e;
                }
                serverRetry = reader.Retry ?? serverRetry;
            }
            if (!_options.Reconnect)
                yield break;
            if (serverRetry is { } wait)
                await Task.Delay(wait, cancel);
        }
    }

    public void Dispose()
    {
        if (_ownsHttp)
            _http.Dispose();
    }

    private static HttpClient CreateHttp(PresenceClientOptions options)
    {
        options.Validate();
        return new HttpClient(new SocketsHttpHandler { UseProxy = options.UseProxy, ConnectTimeout = TimeSpan.FromSeconds(5) })
        {
            Timeout = options.Timeout,
        };
    }

    /// <param name="key">The key to send instead of the client's API key (an admin route's).</param>
    private async Task<T> SendAsync<T>(HttpRequestMessage request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancel, string? key = null)
    {
        var url = request.RequestUri!;
        using var response = await SendAsync(request, HttpCompletionOption.ResponseContentRead, cancel, key);
        if (!response.IsSuccessStatusCode)
            throw await ProblemAsync(response, url, cancel);
        try
        {
            var body = await response.Content.ReadFromJsonAsync(type, cancel);
            return body ?? throw new PresenceException($"{url} answered an empty body");
        }
        catch (JsonException e)
        {
            throw new PresenceException($"{url} answered JSON outside the contract: {e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new PresenceException($"the query service at {url} broke off its answer: {e.Message}", e);
        }
    }

    private async Task<HttpResponseMessage> OpenEventsAsync(HttpMethod method, Uri url, Func<HttpContent>? body, string? lastEventId, CancellationToken cancel)
    {
        using var request = new HttpRequestMessage(method, url) { Content = body?.Invoke() };
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (!string.IsNullOrEmpty(lastEventId))
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        var response = await SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel);
        if (!response.IsSuccessStatusCode)
        {
            using (response)
                throw await ProblemAsync(response, url, cancel);
        }
        if (response.Content.Headers.ContentType?.MediaType != "text/event-stream")
        {
            var type = response.Content.Headers.ContentType?.ToString() ?? "no content type";
            response.Dispose();
            throw new PresenceException($"{url} answered {type}, not text/event-stream");
        }
        return response;
    }

    /// <summary>Sends with the API key; no answer (unreachable, timed out) is a <see cref="PresenceException"/>, any answer is returned.</summary>
    /// <param name="key">The key to send instead of the client's API key (an admin route's).</param>
    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, HttpCompletionOption completion, CancellationToken cancel, string? key = null)
    {
        if ((key ?? _options.ApiKey) is { } bearer)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        try
        {
            return await _http.SendAsync(request, completion, cancel);
        }
        catch (HttpRequestException e)
        {
            throw new PresenceException($"cannot reach the query service at {request.RequestUri}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancel.IsCancellationRequested)
        {
            throw new PresenceException($"the query service at {request.RequestUri} did not answer within {_http.Timeout.TotalSeconds:0.#} s", e);
        }
    }

    private TimeSpan Next(TimeSpan delay)
    {
        var doubled = delay == TimeSpan.Zero ? TimeSpan.FromMilliseconds(100) : delay * 2;
        return doubled > _options.MaxReconnectDelay ? _options.MaxReconnectDelay : doubled;
    }

    private static void CheckId(ulong id, int index)
    {
        if (id == 0)
            throw new ArgumentException($"ids[{index}] is 0; a user id is 1 … 18446744073709551615.", "ids");
    }

    /// <summary><c>{"ids":["1","2",…]}</c>: decimal strings, which the contract accepts and no JSON reader rounds.</summary>
    private static ByteArrayContent JsonIds(IReadOnlyList<ulong> ids, int start, int count) =>
        JsonBody(16 + count * 24, json => WriteIds(json, "ids", ids.Skip(start).Take(count)));

    /// <summary>An array of ids as decimal strings, under <paramref name="name"/>.</summary>
    private static void WriteIds(Utf8JsonWriter json, string name, IEnumerable<ulong> ids)
    {
        Span<byte> digits = stackalloc byte[Core.PresenceKeys.MaxUserIdDigits];
        json.WriteStartArray(name);
        foreach (ulong id in ids)
        {
            Utf8Formatter.TryFormat(id, digits, out int n);
            json.WriteStringValue(digits[..n]);
        }
        json.WriteEndArray();
    }

    /// <summary>A JSON object body: <paramref name="members"/> writes what goes between its braces.</summary>
    private static ByteArrayContent JsonBody(int capacity, Action<Utf8JsonWriter> members)
    {
        var buffer = new ArrayBufferWriter<byte>(capacity);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            members(json);
            json.WriteEndObject();
        }
        var content = new ByteArrayContent(buffer.WrittenSpan.ToArray());
        content.Headers.ContentType = s_json;
        return content;
    }

    private static UserPresence ToPresence(WireUser? user, Uri url)
    {
        if (user is null || !TryParseId(user.Id, out ulong id))
            throw new PresenceException($"{url} answered an entry without a valid id ('{user?.Id}')");
        return new UserPresence(id, user.Online, user.LastSeenMs);
    }

    private static bool TryParseId(string? text, out ulong id) =>
        ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out id) && id != 0;

    private static PresenceEvent? ToEvent(SseEvent sse, Uri url)
    {
        try
        {
            switch (sse.Type)
            {
                case "snapshot":
                    var batch = JsonSerializer.Deserialize(sse.Data, ClientJsonContext.Default.WireBatch)
                        ?? throw new PresenceException($"{url} sent an empty snapshot");
                    var users = (batch.Users ?? []).Select(u => ToPresence(u, url)).ToArray();
                    return new PresenceSnapshot(sse.LastEventId, users, batch.Online);
                case "online":
                case "offline":
                    var change = JsonSerializer.Deserialize(sse.Data, ClientJsonContext.Default.WireTransition);
                    if (change is null || !TryParseId(change.Id, out ulong id))
                        throw new PresenceException($"{url} sent a {sse.Type} event without a valid id: {sse.Data}");
                    if (sse.Type == "online")
                        return new UserOnline(sse.LastEventId, id, change.At);
                    return new UserOffline(sse.LastEventId, id, change.At, Reason(change.Reason, membership: false, sse, url));
                default:
                    // An event type newer than this client: skipped, as EventSource would for an unheard type.
                    return null;
            }
        }
        catch (JsonException e)
        {
            throw new PresenceException($"{url} sent a {sse.Type} event outside the contract: {e.Message}", e);
        }
    }

    /// <summary>An offline event's reason: <c>timeout</c> or <c>signout</c>, and <c>membership</c> for a group of the many-groups stream only.</summary>
    private static OfflineReason Reason(string? reason, bool membership, SseEvent sse, Uri url) => reason switch
    {
        "timeout" => OfflineReason.Timeout,
        "signout" => OfflineReason.SignOut,
        "membership" when membership => OfflineReason.Membership,
        _ => throw new PresenceException($"{url} sent an {sse.Type} event with reason '{reason}'"),
    };

    private static async Task<PresenceApiException> ProblemAsync(HttpResponseMessage response, Uri url, CancellationToken cancel)
    {
        WireProblem? problem = null;
        string text = "";
        try
        {
            text = await response.Content.ReadAsStringAsync(cancel);
            if (response.Content.Headers.ContentType?.MediaType is { } media && media.Contains("json", StringComparison.OrdinalIgnoreCase))
                problem = JsonSerializer.Deserialize(text, ClientJsonContext.Default.WireProblem);
        }
        catch (Exception e) when (e is JsonException or HttpRequestException or IOException)
        {
        }
        TimeSpan? retryAfter = response.Headers.RetryAfter is { } retry
            ? retry.Delta ?? (retry.Date is { } date ? date - DateTimeOffset.UtcNow : null)
            : null;
        int status = (int)response.StatusCode;
        string title = problem?.Title ?? response.ReasonPhrase ?? "error";
        string? detail = problem?.Detail ?? (problem is null && text.Length > 0 ? text[..Math.Min(text.Length, 200)] : null);
        string type = problem?.Type ?? "about:blank";
        var message = string.Create(CultureInfo.InvariantCulture,
            $"the query service at {url} answered {status} {response.ReasonPhrase}: {title}{(detail is null ? "" : " — " + detail)} ({type})");
        return new PresenceApiException(message, response.StatusCode, type, title, detail)
        {
            Id = problem?.Id,
            Index = problem?.Index,
            RetryAfter = retryAfter,
        };
    }
}
