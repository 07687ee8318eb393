using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Presence.Testing;

/// <summary>
/// A real <c>redis-server</c> process on a free loopback port, without persistence. Tests use it
/// instead of a mock; outage tests stop, restart, pause and resume it.
/// </summary>
public sealed class RedisServer : IDisposable
{
    private static readonly TimeSpan s_startTimeout = TimeSpan.FromSeconds(15);
    private readonly string _binary;
    private readonly string _dir;
    private readonly string[] _extraArgs;
    private readonly string? _aclFile;
    private readonly (string User, string Password)? _admin;
    private Process? _process;

    private RedisServer(string binary, int port, string[] extraArgs, string? acl = null, (string, string)? admin = null)
    {
        _binary = binary;
        Port = port;
        _dir = Directory.CreateTempSubdirectory("presence-redis-").FullName;
        _admin = admin;
        if (acl is not null)
        {
            _aclFile = Path.Combine(_dir, "users.acl");
            File.WriteAllText(_aclFile, acl);
            extraArgs = [.. extraArgs, "--aclfile", _aclFile];
        }
        _extraArgs = extraArgs;
    }

    public int Port { get; }

    /// <summary>StackExchange.Redis configuration string for this server.</summary>
    public string Configuration => $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=2000";

    public EndPoint EndPoint => new IPEndPoint(IPAddress.Loopback, Port);

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts a server on a free port; fails with a clear message when the binary is missing.</summary>
    public static RedisServer Start(params string[] extraArgs) => StartCore(null, null, extraArgs);

    /// <summary>
    /// Starts a server whose users come from an ACL file with <paramref name="acl"/> as its text
    /// (redis.conf's aclfile format: one <c>user NAME rules…</c> a line). <paramref name="admin"/>
    /// names a user of that file allowed PING and whatever <see cref="Command"/> is used for: this
    /// class authenticates as it, so the <c>default</c> user may be turned off.
    /// </summary>
    public static RedisServer StartWithAcl(string acl, (string User, string Password) admin, params string[] extraArgs) =>
        StartCore(acl, admin, extraArgs);

    private static RedisServer StartCore(string? acl, (string, string)? admin, string[] extraArgs)
    {
        var binary = FindBinary();
        Exception? last = null;
        // A free port found by binding port 0 can be taken by someone else before redis binds it: retry.
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var server = new RedisServer(binary, FreePort.Tcp(), extraArgs, acl, admin);
            try
            {
                server.StartProcess();
                return server;
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                last = e;
                server.Dispose();
            }
        }
        throw new InvalidOperationException("redis-server did not start after 3 attempts.", last);
    }

    /// <summary>Where redis-server is: $PRESENCE_REDIS_SERVER, else PATH, else /usr/bin and /usr/sbin.</summary>
    public static string FindBinary()
    {
        var fromEnv = Environment.GetEnvironmentVariable("PRESENCE_REDIS_SERVER");
        if (!string.IsNullOrEmpty(fromEnv))
            return File.Exists(fromEnv) ? fromEnv : throw new InvalidOperationException($"PRESENCE_REDIS_SERVER={fromEnv} does not exist.");
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/bin", "/usr/sbin", "/usr/local/bin"]);
        foreach (var dir in dirs)
        {
            var candidate = Path.Combine(dir, "redis-server");
            if (File.Exists(candidate))
                return candidate;
        }
        throw new InvalidOperationException(
            "redis-server was not found. Install Debian's package (apt-get install redis-server; " +
            "scripts/test.sh does this when run as root) or set PRESENCE_REDIS_SERVER to the binary.");
    }

    /// <summary>Stops the process (SIGKILL: an outage, not a shutdown) and waits for it to exit.</summary>
    public void Stop()
    {
        if (_process is null)
            return;
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        _process.Dispose();
        _process = null;
    }

    /// <summary>Starts the process again on the same port, empty (nothing is persisted).</summary>
    public void Restart()
    {
        Stop();
        var deadline = DateTime.UtcNow + s_startTimeout;
        while (true)
        {
            try
            {
                StartProcess();
                return;
            }
            catch (Exception) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100); // the old socket may linger briefly
            }
        }
    }

    /// <summary>SIGSTOP: the server holds its connections but answers nothing (a "slow" store).</summary>
    public void Pause() => Signal("STOP");

    public void Resume() => Signal("CONT");

    /// <summary>
    /// Sends one command over a fresh connection and returns the raw RESP reply; authenticated as
    /// the admin user when the server was started with an ACL.
    /// </summary>
    public string Command(params string[] args) =>
        _admin is { } admin ? CommandAs(admin.User, admin.Password, args) : Send(null, args);

    /// <summary>Sends one command after <c>AUTH user password</c> on a fresh connection; returns the command's raw reply.</summary>
    public string CommandAs(string user, string password, params string[] args) => Send((user, password), args);

    /// <summary>Sends one command without authenticating (as the <c>default</c> user).</summary>
    public string CommandUnauthenticated(params string[] args) => Send(null, args);

    private string Send((string User, string Password)? auth, string[] args)
    {
        using var client = new TcpClient();
        client.Connect(IPAddress.Loopback, Port);
        client.ReceiveTimeout = 5000;
        var stream = client.GetStream();
        var buffer = new byte[1 << 16];
        if (auth is { } a)
        {
            stream.Write(Encode(["AUTH", a.User, a.Password]));
            int m = stream.Read(buffer);
            var reply = Encoding.UTF8.GetString(buffer, 0, m);
            if (!reply.StartsWith("+OK", StringComparison.Ordinal))
                throw new InvalidOperationException($"AUTH {a.User} failed: {reply.Trim()}");
        }
        stream.Write(Encode(args));
        int n = stream.Read(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    private static byte[] Encode(string[] args)
    {
        var request = new StringBuilder().Append('*').Append(args.Length).Append("\r\n");
        foreach (var arg in args)
            request.Append('$').Append(Encoding.UTF8.GetByteCount(arg)).Append("\r\n").Append(arg).Append("\r\n");
        return Encoding.UTF8.GetBytes(request.ToString());
    }

    public void Dispose()
    {
        try
        {
            if (_process is not null && !_process.HasExited)
                Resume();
        }
        catch (InvalidOperationException)
        {
        }
        Stop();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void StartProcess()
    {
        var psi = new ProcessStartInfo(_binary)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _dir,
        };
        foreach (var arg in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no",
            "--protected-mode", "no", "--dir", _dir, "--logfile", "",
        }.Concat(_extraArgs))
        {
            psi.ArgumentList.Add(arg);
        }
        var process = Process.Start(psi) ?? throw new InvalidOperationException("redis-server did not start.");
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        s_live.Add(process);

        var deadline = DateTime.UtcNow + s_startTimeout;
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                lock (log)
                    throw new InvalidOperationException($"redis-server exited with {process.ExitCode} on port {Port}: {log}");
            }
            if (TryPing())
                return;
            Thread.Sleep(50);
        }
        Stop();
        throw new TimeoutException($"redis-server on port {Port} did not answer PING within {s_startTimeout.TotalSeconds} s.");
    }

    private bool TryPing()
    {
        try
        {
            return Command("PING").StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private void Signal(string signal)
    {
        if (_process is null || _process.HasExited)
            throw new InvalidOperationException("redis-server is not running.");
        using var kill = Process.Start(new ProcessStartInfo("kill", $"-{signal} {_process.Id}") { UseShellExecute = false })!;
        kill.WaitForExit();
        if (kill.ExitCode != 0)
            throw new InvalidOperationException($"kill -{signal} {_process.Id} failed with {kill.ExitCode}.");
    }

    // Safety net: a crashed or aborted test run must not leave servers behind.
    private static readonly List<Process> s_live = [];

    static RedisServer() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var p in s_live)
        {
            try
            {
                if (!p.HasExited)
                    p.Kill();
            }
            catch (InvalidOperationException)
            {
            }
        }
    };
}
