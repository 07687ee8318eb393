using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Presence.Query.Internal.Http;

/// <summary>
/// The web console at <c>/ui</c>: one static page embedded in the binary (no build step, nothing
/// fetched from elsewhere), served with a Content-Security-Policy that allows its own inline
/// script and style by hash, and the same origin for its requests.
/// </summary>
internal static partial class ConsolePage
{
    private static readonly Lazy<(byte[] Body, string Policy)> s_page = new(Load);

    public static Task Serve(HttpContext context)
    {
        var (body, policy) = s_page.Value;
        var response = context.Response;
        response.ContentType = "text/html; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        response.Headers.ContentSecurityPolicy = policy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }

    private static (byte[], string) Load()
    {
        using var stream = typeof(ConsolePage).Assembly.GetManifestResourceStream("Presence.Query.Console.console.html")
            ?? throw new InvalidOperationException("the console page is not embedded in this build");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        string html = reader.ReadToEnd();
        string scripts = string.Join(' ', ScriptBlock().Matches(html).Select(m => Hash(m.Groups[1].Value)));
        string styles = string.Join(' ', StyleBlock().Matches(html).Select(m => Hash(m.Groups[1].Value)));
        string policy = $"default-src 'none'; script-src {scripts}; style-src {styles}; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        return (Encoding.UTF8.GetBytes(html), policy);
    }

    private static string Hash(string block) => $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(block)))}'";

    [GeneratedRegex("<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ScriptBlock();

    [GeneratedRegex("<style>(.*?)</style>", RegexOptions.Singleline)]
    private static partial Regex StyleBlock();
}
