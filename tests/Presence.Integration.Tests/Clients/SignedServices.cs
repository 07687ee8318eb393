using System.Security.Cryptography;
using Presence.Integration.Tests.Ingest;
using Presence.Integration.Tests.Query;
using Presence.Testing;

namespace Presence.Integration.Tests.Clients;

/// <summary>
/// A presence-ingest in --require-signed mode with a fresh master key (in a mode-600 key file),
/// and a presence-query on the same store and prefix: what the clients' end-to-end tests send to.
/// </summary>
internal sealed class SignedServices : IAsyncDisposable
{
    public const byte KeyId = 3;

    private readonly string _keyFile;

    private SignedServices(IngestTestHost ingest, QueryHost query, byte[] masterKey, string keyFile, string prefix)
    {
        Prefix = prefix;
        Ingest = ingest;
        Query = query;
        MasterKey = masterKey;
        _keyFile = keyFile;
    }

    /// <summary>The store key prefix both services use (another service on it sees the same users).</summary>
    public string Prefix { get; }

    public IngestTestHost Ingest { get; }

    public QueryHost Query { get; }

    public byte[] MasterKey { get; }

    public string MasterKeyHex => Convert.ToHexString(MasterKey).ToLowerInvariant();

    public string UdpTarget => Ingest.Host.UdpEndPoint.ToString();

    public Uri QueryUrl => Query.Client.BaseAddress!;

    /// <summary>presence_records_rejected_total{reason="auth_failed"}.</summary>
    public double AuthFailed => Ingest.Metrics.Rejected(Presence.Ingest.Internal.Intake.RejectReason.AuthFailed).Value;

    public static async Task<SignedServices> StartAsync(string redis, bool requireSigned = true)
    {
        var prefix = TestKeys.Prefix();
        var master = RandomNumberGenerator.GetBytes(32);
        var keyFile = Path.Combine(Path.GetTempPath(), $"presence-client-keys-{Guid.NewGuid():N}");
        using (var f = new FileStream(keyFile, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        }))
        using (var w = new StreamWriter(f))
            w.WriteLine($"{KeyId}:{Convert.ToHexString(master).ToLowerInvariant()}");
        IngestTestHost? ingest = null;
        try
        {
            ingest = await IngestTestHost.StartAsync(redis, prefix, o =>
            {
                o.Keys = keyFile;
                o.RequireSigned = requireSigned;
            });
            var query = await QueryHost.StartAsync(redis, prefix);
            return new SignedServices(ingest, query, master, keyFile, prefix);
        }
        catch
        {
            if (ingest is not null)
                await ingest.DisposeAsync();
            File.Delete(keyFile);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Query.DisposeAsync();
        await Ingest.DisposeAsync();
        File.Delete(_keyFile);
    }
}
