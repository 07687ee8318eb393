using Presence.Integration.Tests.Ingest;
using Presence.Integration.Tests.LoadGen;
using Presence.Integration.Tests.Query;
using Presence.Testing;

namespace Presence.Integration.Tests.EndToEnd;

/// <summary>The three programs together: load generator → ingest → redis-server → query service → load generator's --verify.</summary>
[Collection(RedisCollection.Name)]
public sealed class EndToEndTests(RedisFixture redis)
{
    [Fact]
    public async Task LoadGenVerify_CleanRun_EveryUserOnline_ExitsZero()
    {
        var prefix = TestKeys.Prefix();
        await using var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix);
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix);

        var result = await LoadGenProcess.Run("--target", ingest.Host.UdpEndPoint.ToString(), "--users", "3000", "--first-id", "500000",
            "--interval", "2", "--duration", "3", "--per-frame", "5", "--verify", query.Client.BaseAddress!.ToString(), "--json");

        Assert.True(result.ExitCode == 0, result.Stderr);
        var verify = result.Summary.GetProperty("verify");
        Assert.Equal(3000, verify.GetProperty("expected").GetInt64());
        Assert.Equal(3000, verify.GetProperty("online").GetInt64());
        Assert.Equal(0, verify.GetProperty("missing").GetInt64());
        // Every record sent was accepted (--verify saw each user online; this counts every repeat too).
        await Eventually.Equal(result.Long("recordsSent"), () => (long)ingest.Metrics.RecordsAccepted.Value, "records accepted");
    }

    [Fact]
    public async Task LoadGenVerify_IngestStoppedMidRun_ReportsMissingUsers_ExitsOne()
    {
        var prefix = TestKeys.Prefix();
        var ingest = await IngestTestHost.StartAsync(redis.Server.Configuration, prefix);
        await using var query = await QueryHost.StartAsync(redis.Server.Configuration, prefix);
        try
        {
            var run = LoadGenProcess.Run("--target", ingest.Host.UdpEndPoint.ToString(), "--users", "4000", "--first-id", "700000",
                "--interval", "3", "--duration", "4", "--verify", query.Client.BaseAddress!.ToString(), "--json");
            // Stop the ingest once part of the users were heard: the rest heartbeat into a closed port.
            await Eventually.Until(() => ingest.Metrics.RecordsAccepted.Value >= 800, "the ingest heard some users");
            await ingest.DisposeAsync();

            var result = await run;

            Assert.Equal(1, result.ExitCode);
            var verify = result.Summary.GetProperty("verify");
            long missing = verify.GetProperty("missing").GetInt64();
            Assert.InRange(missing, 1, 4000 - 800);
            Assert.InRange(verify.GetProperty("missingIds").GetArrayLength(), 1, 10);
            Assert.Contains("not online", result.Stderr);
        }
        finally
        {
            await ingest.DisposeAsync();
        }
    }

    [Fact]
    public async Task Demo_ShortMode_RunsToCompletion_SummaryReportsEveryUserOnline()
    {
        using var demo = ChildProcess.Start("presence-demo", "--short");

        // Four programs start, run 5 s of load and stop: about 20 s, and under 2 minutes with two CPU
        // hogs beside the suite. The deadline stays inside the runner's 5-minute hang limit.
        int exitCode = await demo.WaitForExitAsync(TimeSpan.FromMinutes(4));

        var stdout = demo.Stdout;
        Assert.True(exitCode == 0, $"exit {exitCode}\n{demo.Log}");
        Assert.Contains("verified online      10,000 of 10,000 users", stdout);
        Assert.Contains("every user online: OK", stdout);
        Assert.Matches(@"50-id batch query\s+\d+\.\d\d ms median", stdout);
        // The group row answered (how many of the two still-heartbeating devices are online depends on the machine's pace).
        Assert.Matches(@"3-device user\s+ids 1, 1001, 1002 as group 'demo-user': (online|offline) on [0-3] of 3 \(POST /v1/groups/presence\)", stdout);
    }
}
