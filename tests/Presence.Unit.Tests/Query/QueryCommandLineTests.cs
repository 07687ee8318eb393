using Presence.Query;
using Presence.Query.Internal.Store;

namespace Presence.Unit.Tests.Query;

public sealed class QueryCommandLineTests
{
    private static (QueryOptions? Options, int Exit, string Out, string Err) Parse(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var options = QueryCommandLine.Parse(args, stdout, stderr, out int exit);
        return (options, exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Parse_NoArguments_Defaults()
    {
        var (options, exit, _, err) = Parse();

        Assert.Equal(0, exit);
        Assert.Equal("", err);
        Assert.NotNull(options);
        Assert.Equal("127.0.0.1:8080", options.Http);
        Assert.Equal("127.0.0.1:6380", options.Redis);
        Assert.Equal("presence:", options.Prefix);
        Assert.Equal(1000, options.MaxBatch);
        Assert.Equal(65536, options.MaxBody);
        Assert.Equal(1000, options.StoreTimeoutMs);
        Assert.Null(options.ApiKeys);
        Assert.Null(options.RateLimit);
    }

    [Fact]
    public void Parse_EveryOption_Read()
    {
        var (options, exit, _, _) = Parse("--http", "[::1]:0", "--redis", "10.0.0.1:7000,10.0.0.2:7000", "--prefix", "p:",
            "--max-batch", "50", "--max-body", "4096", "--store-timeout-ms", "250", "--rate-limit", "100", "--store-reads", "multiplexer");

        Assert.Equal(0, exit);
        Assert.NotNull(options);
        Assert.Equal("[::1]:0", options.Http);
        Assert.Equal("10.0.0.1:7000,10.0.0.2:7000", options.Redis);
        Assert.Equal("p:", options.Prefix);
        Assert.Equal(50, options.MaxBatch);
        Assert.Equal(4096, options.MaxBody);
        Assert.Equal(250, options.StoreTimeoutMs);
        Assert.Equal(100, options.RateLimit);
        Assert.Equal("multiplexer", options.StoreReads);
    }

    [Fact]
    public void Parse_EqualsForm_Read()
    {
        var (options, exit, _, _) = Parse("--max-batch=7", "--prefix=a:");

        Assert.Equal(0, exit);
        Assert.Equal(7, options!.MaxBatch);
        Assert.Equal("a:", options.Prefix);
    }

    [Fact]
    public void Parse_Help_ListsEveryOptionWithDefaultAndExits0()
    {
        var (options, exit, output, _) = Parse("--help");

        Assert.Null(options);
        Assert.Equal(0, exit);
        foreach (var expected in new[]
        {
            "--http", "127.0.0.1:8080", "--redis", "127.0.0.1:6380", "--prefix", "presence:", "--max-batch", "1000",
            "--max-body", "65536", "--store-timeout-ms", "--api-keys", "--rate-limit", "off", "--trusted-proxies",
            "--store-reads", "direct",
        })
        {
            Assert.Contains(expected, output);
        }
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--max-batch", "many")]
    [InlineData("--max-batch", "0")]
    [InlineData("--max-body", "-1")]
    [InlineData("--store-timeout-ms", "0")]
    [InlineData("--rate-limit", "0")]
    [InlineData("--store-reads", "fast")]
    [InlineData("--http", "8080")]
    [InlineData("--http", "example.com:8080")]
    [InlineData("--http", "127.0.0.1:70000")]
    [InlineData("--http", "::1:80")]
    [InlineData("--prefix", "")]
    [InlineData("--redis", "")]
    [InlineData("--redis", "127.0.0.1:6379,nosuchsetting=1")]
    [InlineData("--api-keys", "/nonexistent/keys")]
    [InlineData("--max-batch")]
    [InlineData("--prefix", "p:", "stray")]
    [InlineData("--max-batch=x")]
    public void Parse_BadOptionOrValue_Exits2WithOneLine(params string[] args)
    {
        var (options, exit, _, err) = Parse(args);

        Assert.Null(options);
        Assert.Equal(2, exit);
        Assert.StartsWith("presence-query: ", err);
        Assert.Single(err.TrimEnd('\n').Split('\n'));
    }

    [Fact]
    public void Parse_ApiKeysReadableByOthers_Exits2SayingChmod()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "k1\n");
            if (OperatingSystem.IsWindows())
                return;
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

            var (options, exit, _, err) = Parse("--api-keys", file);

            Assert.Null(options);
            Assert.Equal(2, exit);
            Assert.Contains("chmod 600", err);

            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Assert.Equal(0, Parse("--api-keys", file).Exit);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Parse_ApiKeysFileWithoutKeys_Exits2()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "# none yet\n\n");
            if (!OperatingSystem.IsWindows())
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);

            var (_, exit, _, err) = Parse("--api-keys", file);

            Assert.Equal(2, exit);
            Assert.Contains("no key", err);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Parse_RedisPasswordFile_LaidOverRedis()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "s3cret\n");

            var (options, exit, _, err) = Parse("--redis", "127.0.0.1:6379,user=presence-query", "--redis-password-file", file);

            Assert.Equal(0, exit);
            Assert.Equal("", err);
            Assert.Equal("s3cret", options!.RedisPassword);
            var config = RedisConfiguration.Create(options.Redis, options.StoreTimeout, options.RedisPassword);
            Assert.Equal("s3cret", config.Password);
            Assert.Equal("presence-query", config.User);
            Assert.Null(RedisConfiguration.Create(options.Redis, options.StoreTimeout).Password);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Parse_RedisPasswordFileAndPasswordInRedis_Exits2()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "s3cret\n");

            var (options, exit, _, err) = Parse("--redis", "127.0.0.1:6379,password=inline", "--redis-password-file", file);

            Assert.Null(options);
            Assert.Equal(2, exit);
            Assert.Contains("give it once", err);
            Assert.DoesNotContain("s3cret", err);
            Assert.DoesNotContain("inline", err);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Parse_BadRedisString_ReasonMasksThePassword()
    {
        var (options, exit, _, err) = Parse("--redis", "127.0.0.1:6379,password=topsecret,bogus=1");

        Assert.Null(options);
        Assert.Equal(2, exit);
        Assert.Contains("password=***", err);
        Assert.DoesNotContain("topsecret", err);
    }
}
