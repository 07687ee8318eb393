using System.Text.Json.Nodes;
using Microsoft.OpenApi;

namespace Presence.Query.Internal.OpenApi;

/// <summary>
/// The service's OpenAPI document at <c>/openapi/v1.json</c> (ASP.NET Core's generator). The
/// handlers read the request themselves, so the generator sees each route and method but not its
/// shapes; a document transformer writes them from HTTP-API.md: parameters, bodies, answers, the
/// problem+json errors and the rule that ids are decimal strings. A route mapped later without an
/// entry in <see cref="OpenApiRoutes"/> is still listed (the generator finds every endpoint), with
/// the error answers every route shares.
/// </summary>
internal static class OpenApiDescription
{
    public const string DocumentName = "v1";
    public const string Route = "/openapi/{documentName}.json";

    public static void AddPresenceOpenApi(this IServiceCollection services, QueryOptions options) =>
        services.AddOpenApi(DocumentName, openApi => openApi.AddDocumentTransformer((document, context, _) =>
        {
            AddMappedRoutes(document, context.ApplicationServices.GetRequiredService<EndpointDataSource>());
            Describe(document, options);
            return Task.CompletedTask;
        }));

    public static void MapPresenceOpenApi(this WebApplication app, QueryMetrics metrics) =>
        app.MapOpenApi(Route).WithMetadata(metrics.Route(Route));

    /// <summary>
    /// Every route the app maps, from its endpoint data source: the generator lists only handlers
    /// whose parameters it can see, and ours take the whole HttpContext.
    /// </summary>
    private static void AddMappedRoutes(OpenApiDocument document, EndpointDataSource endpoints)
    {
        document.Paths ??= [];
        foreach (var (method, path) in MappedRoutes(endpoints))
        {
            if (!document.Paths.TryGetValue(path, out var item))
                document.Paths[path] = item = new OpenApiPathItem();
            var operations = ((OpenApiPathItem)item).Operations ??= [];
            operations.TryAdd(new HttpMethod(method), new OpenApiOperation());
        }
    }

    /// <summary>(method, path) of every route the app maps, but the document's own.</summary>
    internal static IEnumerable<(string Method, string Path)> MappedRoutes(EndpointDataSource endpoints)
    {
        foreach (var endpoint in endpoints.Endpoints.OfType<RouteEndpoint>())
        {
            var path = endpoint.RoutePattern.RawText;
            if (path is null || path == Route)
                continue;
            if (!path.StartsWith('/'))
                path = "/" + path;
            foreach (var method in endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["GET"])
                yield return (method, path);
        }
    }

    private static void Describe(OpenApiDocument document, QueryOptions options)
    {
        document.Info = new OpenApiInfo
        {
            Title = "presence-query",
            Version = "1",
            Description = "Batch presence over HTTP (docs/HTTP-API.md). User ids are unsigned 64-bit: answers give them as "
                + "decimal strings (JavaScript loses precision above 2^53); requests may give each as a JSON number or a decimal "
                + "string. Every error is an RFC 9457 application/problem+json document whose `type` is a stable "
                + "urn:presence:problem:* name.",
        };
        document.Components ??= new OpenApiComponents();
        var schemas = document.Components.Schemas ??= new Dictionary<string, IOpenApiSchema>();
        OpenApiSchemas.AddTo(schemas, options.MaxBatch);
        bool keys = options.ApiKeys is not null;
        if (keys)
        {
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "A key from the service's --api-keys file, on every /v1/ route (`?access_token=` on the events route too).",
            };
        }

        foreach (var (path, item) in document.Paths)
        {
            if (item.Operations is null)
                continue;
            foreach (var (method, operation) in item.Operations)
            {
                var route = OpenApiRoutes.Find(method.Method, path);
                operation.Summary = route?.Summary;
                operation.Description = route?.Description;
                operation.Parameters = route?.Parameters(document, options);
                operation.RequestBody = route?.Body(document, options);
                operation.Responses = new OpenApiResponses();
                if (route is not null)
                    operation.Responses[route.OkStatus] = route.Ok(document);
                else
                    operation.Responses["200"] = new OpenApiResponse { Description = "Success." };
                foreach (int status in route?.Errors ?? OpenApiRoutes.CommonErrors)
                    operation.Responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = Problem(document, status);
                if (keys && path.StartsWith("/v1/", StringComparison.Ordinal))
                {
                    operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", document)] = [] }];
                    operation.Responses["401"] = Problem(document, 401);
                }
            }
        }
    }

    private static OpenApiResponse Problem(OpenApiDocument document, int status)
    {
        var response = new OpenApiResponse
        {
            Description = OpenApiRoutes.ErrorMeaning(status),
            Content = new Dictionary<string, OpenApiMediaType>
            {
                ["application/problem+json"] = new() { Schema = new OpenApiSchemaReference(OpenApiSchemas.Problem, document) },
            },
        };
        if (status is 429 or 503)
        {
            response.Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["Retry-After"] = new OpenApiHeader
                {
                    Description = "Seconds to wait before asking again (429 always; 503 when the node serves its most event streams).",
                    Schema = new OpenApiSchema { Type = JsonSchemaType.Integer },
                },
            };
        }
        return response;
    }

    internal static JsonNode Example(string json) => JsonNode.Parse(json)!;
}
