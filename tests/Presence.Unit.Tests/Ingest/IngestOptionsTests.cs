using Presence.Hosting;
using Presence.Ingest;
using Presence.Ingest.Internal.Store;

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
    [InlineData("receive-pause-ms", "11", "--receive-pause-ms")]
    [InlineData("receive-pause-ms", "-1", "--receive-pause-ms")]
    [InlineData("store-writes", "pipelined", "--store-writes")]
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
            case "receive-pause-ms": o.ReceivePauseMs = int.Parse(value); break;
            case "store-writes": o.StoreWrites = value; break;
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

    private static string TempFile(string text)
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, text);
        return file;
    }

    [Theory]
    [InlineData("s3cret\n", "s3cret")]
    [InlineData("s3cret\r\n", "s3cret")]
    [InlineData("with space,comma=\n", "with space,comma=")]
    [InlineData("", null)]
    [InlineData("\n", null)]
    public void Validate_RedisPasswordFile_ThePasswordLessItsLineEnd_LaidOverRedis(string text, string? expected)
    {
        var file = TempFile(text);
        try
        {
            var o = new IngestOptions { Redis = "127.0.0.1:6379,user=presence-ingest", RedisPasswordFile = file };

            Assert.Null(o.Validate());
            Assert.Equal(expected, o.RedisPassword);
            var config = StoreConnection.Configure(o.Redis, o.StoreTimeoutMs, o.RedisPassword);
            Assert.Equal(expected, config.Password);
            Assert.Equal("presence-ingest", config.User);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Validate_RedisPasswordFile_Refusals_OneLineWithoutTheSecret()
    {
        var twoLines = TempFile("line-one-secret\nline-two-secret\n");
        var one = TempFile("file-secret\n");
        var dir = Directory.CreateTempSubdirectory("presence-options-").FullName;
        try
        {
            foreach (var (o, expected) in new (IngestOptions, string)[]
            {
                (new() { Redis = "127.0.0.1:6379", RedisPasswordFile = "/nonexistent/redis-password" }, "no such file"),
                (new() { Redis = "127.0.0.1:6379", RedisPasswordFile = dir }, "it is a directory"),
                (new() { Redis = "127.0.0.1:6379", RedisPasswordFile = twoLines }, "more than one line"),
                (new() { Redis = "127.0.0.1:6379,password=inline-secret", RedisPasswordFile = one }, "give it once"),
                (new() { RedisPasswordFile = one }, "needs --redis"),
            })
            {
                var error = o.Validate();
                Assert.NotNull(error);
                Assert.StartsWith("--redis-password-file: ", error);
                Assert.Contains(expected, error);
                Assert.DoesNotContain('\n', error);
                Assert.DoesNotContain("secret", error);
            }
        }
        finally
        {
            File.Delete(twoLines);
            File.Delete(one);
            Directory.Delete(dir);
        }
    }

    [Fact]
    public void Validate_EmptyPasswordFile_WithTheEmbeddedStore_IsValid()
    {
        // The systemd unit always passes its credential: empty, it must not stand in the way.
        var empty = TempFile("");
        try
        {
            Assert.Null(new IngestOptions { RedisPasswordFile = empty }.Validate());
        }
        finally
        {
            File.Delete(empty);
        }
    }

    [Theory]
    [InlineData("10.0.0.5:6379,user=u,password=p4ss,ssl=true", "10.0.0.5:6379,user=u,password=***,ssl=true")]
    [InlineData("10.0.0.5:6379, Password = p4ss", "10.0.0.5:6379, Password =***")]
    [InlineData("PASSWORD=p4ss,bogus=1", "PASSWORD=***,bogus=1")]
    [InlineData("10.0.0.5:6379", "10.0.0.5:6379")]
    public void RedisSecrets_Redact_MasksEveryPassword(string configuration, string expected)
    {
        Assert.Equal(expected, RedisSecrets.Redact(configuration));
        Assert.Equal(configuration.Contains("p4ss", StringComparison.Ordinal), RedisSecrets.HasPassword(configuration));
    }
}
