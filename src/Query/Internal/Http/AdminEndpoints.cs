using Presence.Core.LastSeen;
using Presence.Hosting;
using Presence.Query.Internal.Security;
using StackExchange.Redis;

namespace Presence.Query.Internal.Http;

/// <summary>The routes that change state, each behind <see cref="AdminGate"/> (docs/HTTP-API.md, "Admin keys").</summary>
internal sealed class AdminEndpoints(AdminGate gate, IConnectionMultiplexer connection, string prefix, TimeSpan timeout)
{
    private readonly IDatabase _database = connection.GetDatabase();
    private readonly LastSeenKeys _lastSeen = new(prefix);

    /// <summary><c>DELETE /v1/presence/{id}/last-seen</c>: forgets the user's last seen; 204 also when none was kept.</summary>
    public async Task DeleteLastSeen(HttpContext context)
    {
        if (await RefusedAsync(gate, context))
            return;
        var text = context.Request.RouteValues["id"] as string;
        if (!IdParser.TryParse(text, out ulong id))
        {
            await ProblemWriter.WriteAsync(context, Problem.BadId, $"id '{text}' is not an integer in 1 … 18446744073709551615", id: text);
            return;
        }
        try
        {
            await _database.HashDeleteAsync(_lastSeen.KeyOf(id), LastSeenKeys.Field(id)).WaitAsync(timeout, context.RequestAborted);
        }
        catch (Exception e) when (StoreClientFailure.Is(e, context.RequestAborted))
        {
            await ProblemWriter.WriteAsync(context, Problem.StoreUnavailable, $"the store did not answer: {e.Message}");
            return;
        }
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    /// <summary>Answers 401 or 403 and returns true unless the request bears an admin key.</summary>
    internal static async Task<bool> RefusedAsync(AdminGate gate, HttpContext context)
    {
        if (gate.Refusal(context.Request.Headers.Authorization.ToString()) is not { } refusal)
            return false;
        if (refusal.Status == 401)
            context.Response.Headers.WWWAuthenticate = "Bearer";
        await ProblemWriter.WriteAsync(context, refusal.Status == 401 ? Problem.Unauthorized : Problem.Forbidden, refusal.Detail);
        return true;
    }
}
