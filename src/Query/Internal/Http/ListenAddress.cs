using System.Globalization;
using System.Net;

namespace Presence.Query.Internal.Http;

/// <summary><c>--http HOST:PORT</c>: an IPv4 address, a bracketed IPv6 address or <c>localhost</c>, and a port.</summary>
internal static class ListenAddress
{
    public static bool TryParse(string text, out IPEndPoint endPoint)
    {
        endPoint = null!;
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
            return false;
        var host = text.AsSpan(0, colon);
        if (!int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > IPEndPoint.MaxPort)
            return false;

        IPAddress? address;
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            address = IPAddress.Loopback;
        else if (host is ['[', .. var v6, ']'])
            address = IPAddress.TryParse(v6, out var parsed) && parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? parsed : null;
        else
            address = IPAddress.TryParse(host, out var parsed) && parsed.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? parsed : null;
        if (address is null)
            return false;
        endPoint = new IPEndPoint(address, port);
        return true;
    }
}
