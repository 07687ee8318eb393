using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace Presence.Query.Internal.Security;

/// <summary>
/// <c>--trusted-proxies</c>: the reverse proxies (addresses, or networks in CIDR form) whose
/// <c>X-Forwarded-For</c> the service believes. Behind a proxy every request arrives from the
/// proxy's address, so without this the rate limit sees one client; with it, ASP.NET Core's
/// forwarded-headers middleware replaces the connection's remote address with the client's, but
/// only while the hop that sent the header is one of these (a client cannot claim another
/// address by sending the header itself).
/// </summary>
internal sealed class TrustedProxies
{
    private TrustedProxies(IReadOnlyList<IPAddress> addresses, IReadOnlyList<IPNetwork> networks)
    {
        Addresses = addresses;
        Networks = networks;
    }

    public IReadOnlyList<IPAddress> Addresses { get; }

    public IReadOnlyList<IPNetwork> Networks { get; }

    /// <summary>A comma-separated list such as <c>10.0.0.7,192.168.0.0/24,[::1]</c>; false with a one-line reason.</summary>
    public static bool TryParse(string text, out TrustedProxies proxies, out string error)
    {
        proxies = null!;
        var addresses = new List<IPAddress>();
        var networks = new List<IPNetwork>();
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var item = raw is ['[', .. var inner, ']'] ? inner : raw;
            if (item.Length == 0)
            {
                error = "expected a comma-separated list of IP addresses or CIDR networks (e.g. 10.0.0.7,192.168.0.0/24)";
                return false;
            }
            if (item.Contains('/'))
            {
                if (!IPNetwork.TryParse(item, out var network) || HasHostBits(item, network))
                {
                    error = $"'{raw}' is not a network in CIDR form (e.g. 192.168.0.0/24, with no bits set past the prefix)";
                    return false;
                }
                networks.Add(network);
            }
            else if (IPAddress.TryParse(item, out var address) && address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            {
                addresses.Add(address);
            }
            else
            {
                error = $"'{raw}' is not an IP address";
                return false;
            }
        }
        proxies = new TrustedProxies(addresses, networks);
        error = "";
        return true;
    }

    /// <summary>
    /// Whether the address written before the slash has bits set past the prefix (10.0.0.1/24):
    /// a typo for a network or for one address, refused rather than guessed at.
    /// </summary>
    private static bool HasHostBits(string item, IPNetwork network)
    {
        var written = IPAddress.Parse(item[..item.IndexOf('/')]).GetAddressBytes();
        for (int bit = network.PrefixLength; bit < written.Length * 8; bit++)
        {
            if ((written[bit / 8] & (0x80 >> (bit % 8))) != 0)
                return true;
        }
        return false;
    }

    /// <summary>The middleware's options: these proxies only (not its loopback defaults), every trusted hop unwound.</summary>
    public ForwardedHeadersOptions ToOptions()
    {
        var options = new ForwardedHeadersOptions
        {
            ForwardedHeaders = ForwardedHeaders.XForwardedFor,
            // A chain of trusted proxies (load balancer, then nginx) adds one address each; the client
            // is the right-most address that is not a trusted proxy, however many hops that takes.
            ForwardLimit = null,
        };
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        // (An IPv4 peer that a dual-stack socket reports as IPv4-mapped IPv6 is matched as IPv4 by the middleware.)
        foreach (var address in Addresses)
            options.KnownProxies.Add(address);
        foreach (var network in Networks)
            options.KnownIPNetworks.Add(network);
        return options;
    }

    public override string ToString() =>
        string.Join(",", Addresses.Select(a => a.ToString()).Concat(Networks.Select(n => n.ToString())));
}
