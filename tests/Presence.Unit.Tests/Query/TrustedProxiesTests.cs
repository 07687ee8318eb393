using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Presence.Query.Internal.Security;
using Presence.Query;

namespace Presence.Unit.Tests.Query;

public sealed class TrustedProxiesTests
{
    [Fact]
    public void TryParse_AddressesAndNetworks_KeptApart()
    {
        Assert.True(TrustedProxies.TryParse("10.0.0.7, 192.168.0.0/24,[::1],fd00::/8", out var proxies, out var error), error);

        Assert.Equal([IPAddress.Parse("10.0.0.7"), IPAddress.IPv6Loopback], proxies.Addresses);
        Assert.Equal([System.Net.IPNetwork.Parse("192.168.0.0/24"), System.Net.IPNetwork.Parse("fd00::/8")], proxies.Networks);
    }

    [Theory]
    [InlineData("")]
    [InlineData("10.0.0.7,,10.0.0.8")]
    [InlineData("10.0.0.300")]
    [InlineData("proxy.example")]
    [InlineData("10.0.0.1/24")] // bits set past the prefix: a typo for 10.0.0.0/24 or 10.0.0.1
    [InlineData("10.0.0.0/33")]
    public void TryParse_NotAnAddressOrNetwork_Refused(string text)
    {
        Assert.False(TrustedProxies.TryParse(text, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void ToOptions_OnlyTheGivenProxies_NotTheLoopbackDefaults_EveryTrustedHop()
    {
        Assert.True(TrustedProxies.TryParse("10.0.0.7,192.168.0.0/24", out var proxies, out _));

        var options = proxies.ToOptions();

        Assert.Equal([IPAddress.Parse("10.0.0.7")], options.KnownProxies);
        Assert.Equal([System.Net.IPNetwork.Parse("192.168.0.0/24")], options.KnownIPNetworks);
        Assert.Equal(ForwardedHeaders.XForwardedFor, options.ForwardedHeaders);
        Assert.Null(options.ForwardLimit);
    }

    [Fact]
    public void CommandLine_TrustedProxies_ReadAndValidated()
    {
        var ok = QueryCommandLine.Parse(["--trusted-proxies", "127.0.0.1,10.1.0.0/16"], TextWriter.Null, TextWriter.Null, out int exit);
        Assert.Equal(0, exit);
        Assert.Equal("127.0.0.1,10.1.0.0/16", ok!.Proxies!.ToString());

        var stderr = new StringWriter();
        var bad = QueryCommandLine.Parse(["--trusted-proxies", "10.0.0.1/24"], TextWriter.Null, stderr, out exit);
        Assert.Null(bad);
        Assert.Equal(2, exit);
        Assert.StartsWith("presence-query: --trusted-proxies 10.0.0.1/24: ", stderr.ToString());
    }
}
