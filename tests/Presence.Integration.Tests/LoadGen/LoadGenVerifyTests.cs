using System.Diagnostics;
using System.Net;
using Presence.Core;
using Presence.Testing;

namespace Presence.Integration.Tests.LoadGen;

/// <summary>
/// --verify's client side against the documented query API, served by a stub on Kestrel. (The
/// end-to-end checks against the real ingester and query service come with those services.)
/// </summary>
[Collection(RedisCollection.Name)]
public sealed class LoadGenVerifyTests
{
    [Fact]
    public async Task Verify_AllOnline_ExitsZero_AskedInBatchesOfAtMost1000()
    {
        await using var stub = await QueryStub.Start();
        using var capture = new UdpCapture();

        var run = await Send(capture, stub, "--users", "2500", "--first-id", "70000");

        Assert.Equal(0, run.ExitCode);
        var verify = run.Summary.GetProperty("verify");
        Assert.Equal("online", verify.GetProperty("expect").GetString());
        Assert.Equal(2500, verify.GetProperty("expected").GetInt64());
        Assert.Equal(2500, verify.GetProperty("online").GetInt64());
        Assert.Equal(0, verify.GetProperty("missing").GetInt64());
        Assert.True(verify.GetProperty("ok").GetBoolean());
        Assert.Equal(3, stub.Requests);
        Assert.Equal(1000, stub.LargestBatch);
    }

    [Fact]
    public async Task Verify_SomeOffline_ExitsOne_ListsThem()
    {
        await using var stub = await QueryStub.Start();
        stub.IsOnline = id => id is not (17 or 23);
        using var capture = new UdpCapture();

        // Missing users are asked again every 200 ms until --verify-wait has passed since the first
        // round began: 3 s leaves room for a second round however long the first took to start.
        var run = await Send(capture, stub, "--users", "100", "--verify-wait", "3");

        Assert.Equal(1, run.ExitCode);
        var verify = run.Summary.GetProperty("verify");
        Assert.Equal(100, verify.GetProperty("expected").GetInt64());
        Assert.Equal(98, verify.GetProperty("online").GetInt64());
        Assert.Equal(2, verify.GetProperty("missing").GetInt64());
        Assert.Equal(["17", "23"], verify.GetProperty("missingIds").EnumerateArray().Select(e => e.GetString()!).Order());
        Assert.False(verify.GetProperty("ok").GetBoolean());
        Assert.Contains("2 of 100 users are not online", run.Stderr);
        Assert.True(stub.Requests >= 2, "users still missing are asked again before they are declared missing");
    }

    [Fact]
    public async Task Verify_ManyMissing_ListsTen()
    {
        await using var stub = await QueryStub.Start();
        stub.IsOnline = _ => false;
        using var capture = new UdpCapture();

        var run = await Send(capture, stub, "--users", "50", "--verify-wait", "0");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(10, run.Summary.GetProperty("verify").GetProperty("missingIds").GetArrayLength());
        Assert.Equal(50, run.Summary.GetProperty("verify").GetProperty("missing").GetInt64());
    }

    [Fact]
    public async Task Verify_UsersLandAMomentLate_PollsUntilTheyDo()
    {
        // The ingester writes once per flush window: the last users sent show up a little after.
        await using var stub = await QueryStub.Start();
        var sinceFirstQuery = new Stopwatch();
        stub.IsOnline = _ =>
        {
            lock (sinceFirstQuery)
                sinceFirstQuery.Start();
            return sinceFirstQuery.Elapsed > TimeSpan.FromMilliseconds(500);
        };
        using var capture = new UdpCapture();

        // Users land 500 ms after the first question; the wait only needs to outlast that, so it is
        // generous (it ends as soon as every user is online).
        var run = await Send(capture, stub, "--users", "100", "--verify-wait", "20");

        Assert.Equal(0, run.ExitCode);
        Assert.Equal(100, run.Summary.GetProperty("verify").GetProperty("online").GetInt64());
        Assert.True(stub.Requests >= 2);
    }

    [Fact]
    public async Task Verify_QueryServiceUnreachable_ExitsOneSayingSo()
    {
        using var capture = new UdpCapture();

        var run = await LoadGenProcess.Run("--target", capture.Target, "--users", "10", "--interval", "0.2", "--duration", "0.3",
            "--verify", $"http://127.0.0.1:{FreePort.Tcp()}");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("verify: cannot reach the query service at http://127.0.0.1:", run.Stderr);
    }

    [Fact]
    public async Task Verify_QueryServiceAnswers503_ExitsOneWithTheProblem()
    {
        await using var stub = await QueryStub.Start();
        stub.FailWith = HttpStatusCode.ServiceUnavailable;
        using var capture = new UdpCapture();

        var run = await Send(capture, stub, "--users", "10");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("answered 503 Service Unavailable: store unavailable", run.Stderr);
    }

    [Fact]
    public async Task Verify_OfflineAtEnd_SignsEveryUserOffOnce_ExpectsThemOffline()
    {
        await using var stub = await QueryStub.Start();
        stub.IsOnline = _ => false;
        using var capture = new UdpCapture();

        var run = await Send(capture, stub, "--users", "300", "--per-frame", "8", "--offline-at-end");

        Assert.Equal(0, run.ExitCode);
        var verify = run.Summary.GetProperty("verify");
        Assert.Equal("offline", verify.GetProperty("expect").GetString());
        Assert.Equal(300, verify.GetProperty("expected").GetInt64());
        Assert.Equal(0, verify.GetProperty("online").GetInt64());
        Assert.Equal(300, run.Long("offlineRecords"));
        await Eventually.Until(() => OfflineUsers(capture).Count == 300, "300 users signed off");
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (ulong)i), OfflineUsers(capture).Order());
    }

    [Fact]
    public async Task Verify_OfflineAtEnd_SomeStillOnline_ExitsOne()
    {
        await using var stub = await QueryStub.Start();
        stub.IsOnline = id => id == 5;
        using var capture = new UdpCapture();

        var run = await Send(capture, stub, "--users", "20", "--offline-at-end", "--verify-wait", "0.3");

        Assert.Equal(1, run.ExitCode);
        Assert.Equal(["5"], run.Summary.GetProperty("verify").GetProperty("missingIds").EnumerateArray().Select(e => e.GetString()));
        Assert.Contains("1 of 20 users are not offline", run.Stderr);
    }

    /// <summary>Every user once within the run (interval 0.5 s, 1.1 s sent), then --verify against the stub.</summary>
    private static Task<LoadGenProcess.Result> Send(UdpCapture capture, QueryStub stub, params string[] more) =>
        LoadGenProcess.Run(["--target", capture.Target, "--interval", "0.5", "--duration", "1.1", "--verify", stub.Url, "--json", .. more]);

    private static List<ulong> OfflineUsers(UdpCapture capture)
    {
        var users = new List<ulong>();
        foreach (var (_, bytes) in capture.Frames())
        {
            Assert.Equal(FrameStatus.Ok, FrameParser.TryParse(bytes, out var frame));
            for (int i = 0; i < frame.Count; i++)
                if (frame[i].Kind == RecordKind.Offline)
                    users.Add(frame[i].UserId);
        }
        return users;
    }
}
