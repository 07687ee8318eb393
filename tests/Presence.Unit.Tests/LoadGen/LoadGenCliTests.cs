using System.Reflection;
using CommandLine;
using Presence.LoadGen;

namespace Presence.Unit.Tests.LoadGen;

/// <summary>The command line's contract (OPERATIONS.md): help lists everything, bad input exits 2 with one line.</summary>
public sealed class LoadGenCliTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("help")]
    [InlineData("run", "--help")]
    public async Task Help_ListsEveryOptionWithItsDefault_ExitsZero(params string[] args)
    {
        var (code, stdout, stderr) = await Run(args);

        Assert.Equal(0, code);
        Assert.Equal("", stderr);
        foreach (var property in typeof(LoadGenOptions).GetProperties())
        {
            if (property.GetCustomAttribute<OptionAttribute>() is not { } option)
                continue;
            Assert.Contains("--" + option.LongName, stdout);
        }
        // The contract's defaults, as written in OPERATIONS.md.
        Assert.Contains("(Default: 127.0.0.1:7700)", stdout);
        Assert.Contains("(Default: 10) Each user heartbeats", stdout);
        Assert.Contains("(Default: 1) Records per frame", stdout);
        Assert.Contains("(Default: 0) Extra duplicates", stdout);
        Assert.Contains("(Default: 30) The ingester's online threshold", stdout);
        Assert.Contains("keys new --out FILE", stdout);
    }

    [Fact]
    public async Task Help_KeysVerb_ListsItsOptions()
    {
        var (code, stdout, _) = await Run("keys", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--out", stdout);
        Assert.Contains("--user", stdout);
    }

    [Theory]
    [InlineData("unknown option '--bogus'", "--bogus")]
    [InlineData("--users: 'many' is not a valid value", "--users", "many")]
    [InlineData("--users needs a value", "--users", "--json")]
    [InlineData("--rate needs a value", "--rate")]
    [InlineData("--users: 0 is not", "--users", "0")]
    [InlineData("--first-id: user ids start at 1", "--first-id", "0")]
    [InlineData("passes the largest user id", "--first-id", "18446744073709551615", "--users", "2")]
    [InlineData("--per-frame: 0 is not 1 … 91", "--per-frame", "0")]
    [InlineData("--per-frame: 92 is not 1 … 91", "--per-frame", "92")]
    [InlineData("--per-frame: 46 is not 1 … 45 (signed", "--per-frame", "46", "--keys", "any.keys")]
    [InlineData("--dup: 1.5 is not a share", "--dup", "1.5")]
    [InlineData("--dup: -0.1 is not a share", "--dup=-0.1")]
    [InlineData("--churn: 1.5 is not a share", "--churn", "1.5")]
    [InlineData("--churn-signout: 2 is not a share", "--churn-signout", "2")]
    [InlineData("--churn needs a schedule", "--churn", "0.01", "--interval", "0", "--duration", "5")]
    [InlineData("--churn-active: 5 is not at least --interval (10 s)", "--churn", "0.01", "--churn-active", "5")]
    [InlineData("--churn-silent: 30 is not longer than --ttl (30 s)", "--churn", "0.01", "--churn-silent", "30")]
    [InlineData("--churn-silent: 8 is not at least --interval (10 s)", "--churn", "0.01", "--churn-silent", "8", "--ttl", "5")]
    [InlineData("--rate: 0 is not a positive", "--rate", "0")]
    [InlineData("--interval: -1 is not", "--interval=-1")]
    [InlineData("--interval 0 floods: give a --duration", "--interval", "0")]
    [InlineData("--target: '127.0.0.1' is not HOST:PORT", "--target", "127.0.0.1")]
    [InlineData("--target: 'example.org:7700' is not HOST:PORT", "--target", "example.org:7700")]
    [InlineData("--verify: 'ftp://x' is not an http", "--verify", "ftp://x")]
    [InlineData("--key-id needs --keys", "--key-id", "3")]
    [InlineData("--key-id: 256 is not 0 … 255", "--key-id", "256", "--keys", "any.keys")]
    [InlineData("--sender: 'carrier-pigeon' is not a valid value", "--sender", "carrier-pigeon")]
    [InlineData("--batch: 0 is not 1 … 1024", "--batch", "0")]
    [InlineData("unexpected argument 'extra'", "--users", "5", "extra")]
    [InlineData("--keys missing.keys: ", "--keys", "missing.keys")]
    [InlineData("keys needs an action", "keys")]
    [InlineData("keys: 'rotate' is not 'new' or 'derive'", "keys", "rotate")]
    [InlineData("keys new needs --out FILE", "keys", "new")]
    [InlineData("keys derive needs --keys FILE and --user ID", "keys", "derive", "--user", "5")]
    public async Task BadCommandLine_ExitsTwoWithOneLineNamingIt(string expected, params string[] args)
    {
        var (code, stdout, stderr) = await Run(args);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Single(stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains(expected, stderr);
    }

    [Fact]
    public void Defaults_AreTheContractsAndTheParsersAlike()
    {
        var parsed = new Parser(s => s.HelpWriter = null).ParseArguments<LoadGenOptions>([]).Value;
        var declared = new LoadGenOptions();
        foreach (var property in typeof(LoadGenOptions).GetProperties().Where(p => p.GetCustomAttribute<OptionAttribute>() is not null))
            Assert.Equal(property.GetValue(declared), property.GetValue(parsed));
        Assert.Equal("127.0.0.1:7700", declared.Target);
        Assert.Equal(10, declared.Interval);
        Assert.Equal(1, declared.PerFrame);
        Assert.Equal(0, declared.Dup);
        Assert.Equal(30, declared.Ttl);
        Assert.Equal(1UL, declared.FirstId);
        Assert.Null(declared.Rate);
        Assert.Equal(0, declared.Churn);
        Assert.Equal(45, declared.ChurnActive);
        Assert.Equal(45, declared.ChurnSilent);
        Assert.Equal(0.5, declared.ChurnSignOut);
    }

    [Fact]
    public void ImpliedRate_UsersTimesOnePlusDupOverIntervalTimesPerFrame()
    {
        var options = new LoadGenOptions { Users = 1_000_000, Interval = 10, PerFrame = 32, Dup = 0.25 };
        Assert.Equal(1_000_000 * 1.25 / (10 * 32), options.ImpliedRate, 9);
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = await LoadGenCli.RunAsync(args, stdout, stderr, terminal: false, CancellationToken.None);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
