using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Presence.LoadGen.Internal;

/// <summary>
/// Asks the query service about a batch of users with <c>POST /v1/presence/query</c>
/// (HTTP-API.md). Ids go as decimal strings, which the contract accepts and which no JSON
/// reader rounds. Anything but a well-formed answer for exactly the ids asked, in order, is a
/// <see cref="VerifyException"/>.
/// </summary>
internal sealed class PresenceQueryClient : IDisposable
{
    private static readonly MediaTypeHeaderValue s_json = new("application/json");
    private readonly HttpClient _http;

    public PresenceQueryClient(Uri baseUrl, TimeSpan timeout)
    {
        // Straight to the service named: a proxy inherited from the environment (http_proxy) has
        // no business between a load test and the service it checks.
        _http = new HttpClient(new SocketsHttpHandler { UseProxy = false, ConnectTimeout = TimeSpan.FromSeconds(5) })
        {
            Timeout = timeout,
        };
        // "http://host:8080/api" and "http://host:8080/api/" both mean the service under /api/.
        var root = baseUrl.AbsolutePath.EndsWith('/') ? baseUrl : new Uri(baseUrl.AbsoluteUri + "/");
        Endpoint = new Uri(root, "v1/presence/query");
    }

    public Uri Endpoint { get; }

    /// <summary>Writes into <paramref name="online"/> whether each of <paramref name="ids"/> is online.</summary>
    public async Task QueryAsync(ReadOnlyMemory<ulong> ids, Memory<bool> online, CancellationToken cancel)
    {
        using var content = new ByteArrayContent(RequestBody(ids.Span));
        content.Headers.ContentType = s_json;
        HttpResponseMessage response;
        try
        {
            response = await _http.PostAsync(Endpoint, content, cancel);
        }
        catch (HttpRequestException e)
        {
            throw new VerifyException($"cannot reach the query service at {Endpoint}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!cancel.IsCancellationRequested)
        {
            throw new VerifyException($"the query service at {Endpoint} did not answer within {_http.Timeout.TotalSeconds:0.#} s", e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                string detail = await ProblemTitle(response, cancel);
                throw new VerifyException(string.Create(CultureInfo.InvariantCulture,
                    $"the query service at {Endpoint} answered {(int)response.StatusCode} {response.ReasonPhrase}{detail}"));
            }
            QueryResponse? answer;
            try
            {
                answer = await response.Content.ReadFromJsonAsync(LoadGenJsonContext.Default.QueryResponse, cancel);
            }
            catch (JsonException e)
            {
                throw new VerifyException($"the query service at {Endpoint} answered JSON outside the contract: {e.Message}", e);
            }
            Check(answer, ids.Span, online.Span);
        }
    }

    public void Dispose() => _http.Dispose();

    /// <summary><c>{"ids":["1","2",…]}</c>.</summary>
    internal static byte[] RequestBody(ReadOnlySpan<ulong> ids)
    {
        var buffer = new ArrayBufferWriter<byte>(16 + ids.Length * 24);
        using (var json = new Utf8JsonWriter(buffer))
        {
            Span<byte> digits = stackalloc byte[Core.PresenceKeys.MaxUserIdDigits];
            json.WriteStartObject();
            json.WriteStartArray("ids"u8);
            foreach (ulong id in ids)
            {
                Utf8Formatter.TryFormat(id, digits, out int n);
                json.WriteStringValue(digits[..n]);
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private void Check(QueryResponse? answer, ReadOnlySpan<ulong> ids, Span<bool> online)
    {
        if (answer?.Users is not { } users || users.Count != ids.Length)
            throw new VerifyException($"the query service at {Endpoint} answered {answer?.Users?.Count ?? 0} users for {ids.Length} ids asked");
        for (int i = 0; i < ids.Length; i++)
        {
            if (!ulong.TryParse(users[i].Id, NumberStyles.None, CultureInfo.InvariantCulture, out ulong id) || id != ids[i])
                throw new VerifyException($"the query service at {Endpoint} answered id '{users[i].Id}' where {ids[i]} was asked (answers must keep request order)");
            online[i] = users[i].Online;
        }
    }

    /// <summary>The RFC 9457 problem title, when the error body is one.</summary>
    private static async Task<string> ProblemTitle(HttpResponseMessage response, CancellationToken cancel)
    {
        try
        {
            using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancel));
            return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("title", out var title)
                ? ": " + title.GetString()
                : "";
        }
        catch (JsonException)
        {
            return "";
        }
    }
}
