namespace Presence.Query.Internal.Security;

/// <summary>
/// Who may use the routes that change state (docs/HTTP-API.md, "Admin keys"): a request bearing a key
/// of <c>--admin-keys</c>. Without that option nobody may (403, never open by default); a read key of
/// <c>--api-keys</c> is 403; no key or an unknown one is 401. The key comes only in the Authorization
/// header (never as <c>?access_token=</c>).
/// </summary>
internal sealed class AdminGate(ApiKeyRing? adminKeys, ApiKeyRing? readKeys)
{
    /// <summary>What stands in the way of <paramref name="authorization"/> (the header's value): null when it is an admin key.</summary>
    public (int Status, string Detail)? Refusal(ReadOnlySpan<char> authorization)
    {
        if (adminKeys is null)
            return (403, "this service has no admin keys (--admin-keys), so its admin routes are closed");
        if (adminKeys.IsAuthorized(authorization))
            return null;
        if (readKeys is not null && readKeys.IsAuthorized(authorization))
            return (403, "this is a read key; this route needs a key from the service's --admin-keys file");
        return (401, "send 'Authorization: Bearer <key>' with a key from the service's --admin-keys file");
    }

    /// <summary>Whether <paramref name="authorization"/> is an admin key (which also opens every read route).</summary>
    public bool IsAdmin(ReadOnlySpan<char> authorization) => adminKeys is not null && adminKeys.IsAuthorized(authorization);
}
