using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using StackExchange.Redis;

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
    private readonly X509Certificate2? _ca;
    private Process? _process;

    private RedisServer(string binary, int port, string[] extraArgs, string? acl = null, (string, string)? admin = null, bool tls = false)
    {
        _binary = binary;
        Port = port;
        _dir = Directory.CreateTempSubdirectory("presence-redis-").FullName;
        _admin = admin;
        if (tls)
        {
            _ca = TlsFiles.Write(_dir);
            CaCertificatePath = Path.Combine(_dir, TlsFiles.CaCert);
            ServerKeyPath = Path.Combine(_dir, TlsFiles.ServerKey);
            extraArgs =
            [
                .. extraArgs, "--port", "0", "--tls-port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--tls-cert-file", Path.Combine(_dir, TlsFiles.ServerCert), "--tls-key-file", ServerKeyPath,
                "--tls-ca-cert-file", CaCertificatePath, "--tls-auth-clients", "no",
            ];
        }
        if (acl is not null)
        {
            _aclFile = Path.Combine(_dir, "users.acl");
            File.WriteAllText(_aclFile, acl);
            extraArgs = [.. extraArgs, "--aclfile", _aclFile];
        }
        _extraArgs = extraArgs;
    }

    public int Port { get; }

    /// <summary>
    /// StackExchange.Redis configuration string for this server; with TLS it adds
    /// <c>ssl=true,sslHost=localhost</c>, and the client must also trust <see cref="CaCertificatePath"/>
    /// (<see cref="ClientOptions"/> does).
    /// </summary>
    public string Configuration =>
        $"127.0.0.1:{Port},abortConnect=false,connectTimeout=2000,syncTimeout=2000" + (IsTls ? ",ssl=true,sslHost=localhost" : "");

    /// <summary>Whether the server listens with TLS only (<see cref="StartWithTls"/>).</summary>
    public bool IsTls => _ca is not null;

    /// <summary>The throwaway CA that signed the server's certificate (PEM), when the server speaks TLS.</summary>
    public string? CaCertificatePath { get; }

    /// <summary>The server's private key (PEM, mode 0600), when the server speaks TLS; removed with the server.</summary>
    public string? ServerKeyPath { get; }

    /// <summary><see cref="Configuration"/> parsed, trusting the throwaway CA (this client only, nothing process-wide) when the server speaks TLS.</summary>
    public ConfigurationOptions ClientOptions()
    {
        var options = ConfigurationOptions.Parse(Configuration);
        if (_ca is not null)
            options.TrustIssuer(_ca);
        return options;
    }

    public EndPoint EndPoint => new IPEndPoint(IPAddress.Loopback, Port);

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>The server's process id (a benchmark reads its CPU time in /proc).</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException("redis-server is not running");

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

    /// <summary>
    /// Starts a server that speaks TLS only (<c>--tls-port</c> on <see cref="Port"/>, <c>--port 0</c>),
    /// with a certificate for <c>localhost</c> and 127.0.0.1 issued by a throwaway CA made here
    /// (<see cref="CaCertificatePath"/>); clients need no certificate of their own
    /// (<c>--tls-auth-clients no</c>). The certificates live in the server's temporary directory.
    /// </summary>
    public static RedisServer StartWithTls(params string[] extraArgs) => StartCore(null, null, extraArgs, tls: true);

    private static RedisServer StartCore(string? acl, (string, string)? admin, string[] extraArgs, bool tls = false)
    {
        var binary = FindBinary();
        Exception? last = null;
        // A free port found by binding port 0 can be taken by someone else before redis binds it: retry.
        for (int attempt = 0; attempt < 3; attempt++)
        {
            var server = new RedisServer(binary, FreePort.Tcp(), extraArgs, acl, admin, tls);
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
        using Stream stream = _ca is null ? client.GetStream() : TlsStream(client.GetStream(), _ca);
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

    /// <summary>A TLS stream to this server that trusts only <paramref name="ca"/> and checks the name localhost.</summary>
    private static SslStream TlsStream(NetworkStream inner, X509Certificate2 ca)
    {
        var ssl = new SslStream(inner, leaveInnerStreamOpen: false);
        ssl.AuthenticateAsClient(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                CustomTrustStore = { ca },
                RevocationMode = X509RevocationMode.NoCheck,
            },
        });
        return ssl;
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

    /// <summary>
    /// A throwaway CA and a server certificate it issued, made with the BCL (no openssl CLI) and
    /// written as PEM: ECDSA P-256, valid for a day, the server's for DNS localhost and IP
    /// 127.0.0.1 with serverAuth (StackExchange.Redis's issuer check asks for it). The key file is 0600.
    /// </summary>
    private static class TlsFiles
    {
        public const string CaCert = "ca.crt";
        public const string ServerCert = "redis.crt";
        public const string ServerKey = "redis.key";

        /// <summary>Writes the three files into <paramref name="dir"/>; returns the CA certificate (no key).</summary>
        public static X509Certificate2 Write(string dir)
        {
            var now = DateTimeOffset.UtcNow;
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest("CN=Presence throwaway test CA", caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
            using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));

            using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "serverAuth")], false));
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
            var serial = RandomNumberGenerator.GetBytes(16);
            serial[0] &= 0x7f; // positive
            using var server = request.Create(ca, now.AddMinutes(-5), now.AddDays(1), serial);

            File.WriteAllText(Path.Combine(dir, CaCert), ca.ExportCertificatePem() + "\n");
            File.WriteAllText(Path.Combine(dir, ServerCert), server.ExportCertificatePem() + "\n");
            var keyOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
                keyOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // created 0600, never wider
            using (var writer = new StreamWriter(Path.Combine(dir, ServerKey), keyOptions))
            {
                writer.Write(serverKey.ExportPkcs8PrivateKeyPem());
                writer.Write('\n');
            }
            return X509CertificateLoader.LoadCertificate(ca.RawData);
        }
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
