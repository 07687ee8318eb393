using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;

namespace Presence.Query.Internal.Http;

/// <summary>Reads a JSON request body whole, within a size limit; answers the problems itself.</summary>
internal static class RequestBody
{
    /// <summary>
    /// The whole body, still held by the request's reader (the caller advances past it), or null
    /// when a problem was answered: not JSON (415), over <paramref name="maxBody"/> (413), broken.
    /// </summary>
    public static async Task<ReadResult?> ReadJsonAsync(HttpContext context, int maxBody)
    {
        var request = context.Request;
        if (!PresenceEndpoints.IsJson(request.ContentType))
        {
            await ProblemWriter.WriteAsync(context, Problem.UnsupportedMediaType,
                $"send {{\"ids\":[…]}} as application/json (UTF-8); got '{request.ContentType}'");
            return null;
        }
        if (request.ContentLength > maxBody)
        {
            await TooLarge(context, maxBody);
            return null;
        }
        // Kestrel's own limit is --max-body; a route that allows more raises it for its request.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit && (limit.MaxRequestBodySize ?? long.MaxValue) < maxBody)
            limit.MaxRequestBodySize = maxBody;

        var reader = request.BodyReader;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(context.RequestAborted);
                if (read.Buffer.Length > maxBody)
                {
                    reader.AdvanceTo(read.Buffer.Start);
                    await TooLarge(context, maxBody);
                    return null;
                }
                if (read.IsCompleted)
                    return read;
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
            }
        }
        catch (BadHttpRequestException e)
        {
            // Kestrel's own limit (chunked bodies) or a broken body.
            if (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
                await TooLarge(context, maxBody);
            else
                await ProblemWriter.WriteAsync(context, Problem.ForStatus(e.StatusCode), e.Message);
            return null;
        }
    }

    private static Task TooLarge(HttpContext context, int maxBody) =>
        ProblemWriter.WriteAsync(context, Problem.BodyTooLarge, $"the body is over {maxBody} bytes");
}
