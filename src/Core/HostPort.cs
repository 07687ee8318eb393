using System.Globalization;
using System.Net;

namespace Presence.Core;

/// <summary>Parses the <c>HOST:PORT</c> form every program's endpoint options take.</summary>
public static class HostPort
{
    /// <summary>
    /// Accepts <c>1.2.3.4:7700</c>, <c>[::1]:7700</c>, <c>localhost:7700</c> (loopback) and
    /// <c>*:7700</c> / <c>0.0.0.0:7700</c> (any). Port 0 means "any free port" where binding.
    /// </summary>
    public static bool TryParse(string? text, out IPEndPoint endPoint, out string error)
    {
        endPoint = null!;
        error = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            error = "expected HOST:PORT, got nothing";
            return false;
        }
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            error = $"expected HOST:PORT, got '{text}'";
            return false;
        }
        var host = text[..colon];
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > IPEndPoint.MaxPort)
        {
            error = $"port in '{text}' must be 0..65535";
            return false;
        }
        if (host.StartsWith('[') && host.EndsWith(']'))
            host = host[1..^1];
        IPAddress? address = host switch
        {
            "*" => IPAddress.Any,
            "localhost" => IPAddress.Loopback,
            _ => IPAddress.TryParse(host, out var a) ? a : null,
        };
        if (address is null)
        {
            error = $"host in '{text}' must be an IP address, localhost or *";
            return false;
        }
        endPoint = new IPEndPoint(address, port);
        return true;
    }
}
