using Microsoft.OpenApi;

namespace Presence.Query.Internal.OpenApi;

/// <summary>What the OpenAPI document says about one method and path of HTTP-API.md.</summary>
internal sealed record OpenApiRoute(
    string Method,
    string Path,
    string Summary,
    string Description,
    int[] Errors,
    Func<OpenApiDocument, OpenApiResponse> Ok,
    string OkStatus = "200")
{
    public Func<OpenApiDocument, QueryOptions, IList<IOpenApiParameter>?> Parameters { get; init; } = (_, _) => null;

    public Func<OpenApiDocument, QueryOptions, IOpenApiRequestBody?> Body { get; init; } = (_, _) => null;
}
