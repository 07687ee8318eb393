using Presence.Ingest;

namespace Presence.Unit.Tests.Ingest;

public sealed class IngestOptionsTests
{
    [Fact]
    public void Validate_Defaults_AreValid() => Assert.Null(new IngestOptions().Validate());

    [Theory]
    [InlineData("udp", "nohost", "--udp")]
    [InlineData("udp", "1.2.3.4:70000", "--udp")]
    [InlineData("http", "example.com:80", "--http")]
    [InlineData("ttl", "0", "--ttl")]
    [InlineData("flush-ms", "251", "--flush-ms")]
    [InlineData("flush-ms", "5", "--flush-ms")]
    [InlineData("max-pending", "0", "--max-pending")]
    [InlineData("receiver", "poll", "--receiver")]
    [InlineData("tcp", "nohost", "--tcp")]
    [InlineData("tcp-max-connections", "0", "--tcp-max-connections")]
    [InlineData("tcp-idle-seconds", "0", "--tcp-idle-seconds")]
    public void Validate_BadValue_NamesTheOption(string option, string value, string expected)
    {
        var o = new IngestOptions();
        switch (option)
        {
            case "udp": o.Udp = value; break;
            case "http": o.Http = value; break;
            case "ttl": o.TtlSeconds = int.Parse(value); break;
            case "flush-ms": o.FlushMs = int.Parse(value); break;
            case "max-pending": o.MaxPending = int.Parse(value); break;
            case "receiver": o.Receiver = value; break;
            case "tcp": o.Tcp = value; break;
            case "tcp-max-connections": o.TcpMaxConnections = int.Parse(value); break;
            case "tcp-idle-seconds": o.TcpIdleSeconds = int.Parse(value); break;
        }
        var error = o.Validate();
        Assert.NotNull(error);
        Assert.StartsWith(expected, error);
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void Validate_Tcp_IsAvailable_AndOffByDefault()
    {
        Assert.Null(new IngestOptions().Tcp);
        Assert.Null(new IngestOptions { Tcp = "127.0.0.1:7701" }.Validate());
    }
}
