using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Presence.Core;
using Presence.Testing;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Security;

/// <summary>
/// A key file the service may not read (owned by another user, mode 600, or mode 000): refused at
/// start with one line on stderr and exit 2 (presence-ingest's <c>--keys</c>, presence-query's
/// <c>--api-keys</c>), and on SIGHUP a refused reload that keeps the keys in force, said in one
/// log line. Root reads any file, so when the tests run as root the services are started through
/// <c>setpriv</c> without the two capabilities that let it (<c>CAP_DAC_OVERRIDE</c>,
/// <c>CAP_DAC_READ_SEARCH</c>): a mode-000 file is then as unreadable to them as to the service user.
/// </summary>
[Collection(RedisCollection.Name)] // joins the collection only to run apart from the other classes; the server is its own
public sealed class KeyFileAccessTests : IDisposable
{
    private static readonly byte[] s_master = RandomNumberGenerator.GetBytes(32);
    private const byte KeyId = 1;

    private readonly string _dir = Directory.CreateTempSubdirectory("presence-keyfile-").FullName;

    /// <summary>What runs the services so that file permissions bind them: nothing to add, unless the tests run as root.</summary>
    private static IReadOnlyList<string>? Launcher =>
        Environment.IsPrivilegedProcess ? ["setpriv", "--bounding-set", "-dac_override,-dac_read_search", "--"] : null;

    public void Dispose()
    {
        foreach (var file in Directory.GetFiles(_dir))
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Directory.Delete(_dir, recursive: true);
    }

    private string WriteFile(string name, string text, UnixFileMode mode)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        File.SetUnixFileMode(path, mode);
        return path;
    }

    private static string MasterKeys => $"{KeyId}:{Convert.ToHexString(s_master)}\n";

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    [Fact]
    public void Launcher_MakesAMode000FileUnreadable()
    {
        // The tests below are only worth something if their services really cannot read the file.
        var path = WriteFile("probe", "x", UnixFileMode.None);
        var launcher = Launcher ?? [];
        var psi = new System.Diagnostics.ProcessStartInfo(launcher.Count > 0 ? launcher[0] : "cat") { RedirectStandardError = true };
        foreach (var word in launcher.Skip(1))
            psi.ArgumentList.Add(word);
        if (launcher.Count > 0)
            psi.ArgumentList.Add("cat");
        psi.ArgumentList.Add(path);
        using var cat = System.Diagnostics.Process.Start(psi)!;
        var stderr = cat.StandardError.ReadToEnd();
        Assert.True(cat.WaitForExit(30_000));
        Assert.NotEqual(0, cat.ExitCode);
        Assert.Contains("Permission denied", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ingest_KeyFileUnreadableAtStart_OneLineOnStderr_Exit2()
    {
        var path = WriteFile("ingest.keys", MasterKeys, UnixFileMode.None);

        using var ingest = ChildProcess.Start("presence-ingest",
            ["--keys", path, "--udp", "127.0.0.1:0", "--http", "127.0.0.1:0", "--embedded-port", "0"], environment: null, Launcher);

        Assert.Equal(2, await ingest.WaitForExitAsync(ChildProcess.StartupTimeout));
        Assert.Equal([$"presence-ingest: --keys: {path} cannot be read (permission denied) (see --help)"], Lines(ingest.Stderr));
        Assert.Equal("", ingest.Stdout.Trim());
    }

    [Fact]
    public async Task Query_ApiKeyFileUnreadableAtStart_OneLineOnStderr_Exit2()
    {
        var path = WriteFile("query.keys", "k1\n", UnixFileMode.None);

        using var query = ChildProcess.Start("presence-query",
            ["--api-keys", path, "--http", "127.0.0.1:0", "--redis", "127.0.0.1:1"], environment: null, Launcher);

        Assert.Equal(2, await query.WaitForExitAsync(ChildProcess.StartupTimeout));
        Assert.Equal([$"presence-query: --api-keys {path}: cannot be read (permission denied) (see --help)"], Lines(query.Stderr));
        Assert.Equal("", query.Stdout.Trim());
    }

    [Fact]
    public async Task Ingest_KeyFileUnreadableOnSighup_ReloadRefusedInOneLine_KeysInForceStay()
    {
        using var server = RedisServer.Start();
        using var mux = await ConnectionMultiplexer.ConnectAsync(server.Configuration);
        var db = mux.GetDatabase();
        var prefix = "presence:" + TestKeys.Prefix();
        var path = WriteFile("ingest.keys", MasterKeys, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        int udpPort = FreePort.Udp();
        // SIGHUP back to its default for the ingester: a test run started under nohup (or any parent that
        // ignores SIGHUP) passes the ignored disposition down through exec, and .NET keeps it ignored.
        using var ingest = await ServiceProcess.StartThroughAsync(["env", "--default-signal=HUP", .. Launcher ?? []], "presence-ingest", new Dictionary<string, string?>(),
            "--udp", $"127.0.0.1:{udpPort}", "--http", "127.0.0.1:0", "--redis", server.Configuration, "--prefix", prefix,
            "--keys", path, "--require-signed", "--flush-ms", "50");
        SendSigned(udpPort, 1);
        await Eventually.Until(() => db.KeyExists(prefix + "1"), "a record signed with the key loaded at start, written");

        // A reload of the readable file works, which shows SIGHUP reaches the running ingester (the
        // handler takes it once the start is done: until then, signal again).
        // One signal every half second at most (a kill(1) every poll would crowd a loaded machine).
        long lastSignal = 0;
        await Eventually.Until(() =>
        {
            if (Count(ingest.Log, "Master keys loaded: 1") >= 2)
                return true;
            if (Environment.TickCount64 - lastSignal >= 500)
            {
                ingest.Signal(Signals.SigHup);
                lastSignal = Environment.TickCount64;
            }
            return false;
        }, "a reload of the readable key file");

        // Now the file cannot be read: the reload is refused in one line, the process lives on.
        File.SetUnixFileMode(path, UnixFileMode.None);
        ingest.Signal(Signals.SigHup);
        await ingest.WaitForLog($"Key reload refused, previous keys stay in force: --keys: {path} cannot be read (permission denied)");
        // (A HUP of the loop above may still have been on its way: it is refused the same way.)
        Assert.DoesNotContain("Exception", ingest.Log, StringComparison.Ordinal); // one line, no stack trace

        // The keys in force stay: a record signed with them is still accepted.
        SendSigned(udpPort, 2);
        await Eventually.Until(() => db.KeyExists(prefix + "2"), "a record signed with the key in force, written after the refused reload");
        Assert.False(ingest.HasExited);
        Assert.Equal(0, await ingest.StopAsync());
        Assert.Equal("", ingest.Stderr.Trim());
    }

    private static int Count(string text, string what)
    {
        int count = 0;
        for (int at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
            count++;
        return count;
    }

    private static void SendSigned(int udpPort, ulong user)
    {
        var key = Signing.DeriveDeviceKey(s_master, user);
        var frame = new byte[FrameFormat.FrameSize(1, signed: true)];
        FrameWriter.WriteSigned(frame, [new HeartbeatRecord(user, (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 1, RecordKind.Heartbeat, KeyId)], key);
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.SendTo(frame, new IPEndPoint(IPAddress.Loopback, udpPort));
    }
}
