using Presence.Integration.Tests.Query;
using Presence.Query;
using Presence.Testing;

namespace Presence.Integration.Tests.Groups;

/// <summary>
/// What the group suites (<see cref="GroupSuite"/>, <see cref="GroupStreamSuite"/>) share: the store (a healthy cluster's
/// when it is one), an admin key and a read key in key files of their own, the query service started with both, and
/// the embedded Garnet of their Garnet classes.
/// </summary>
public abstract class GroupSuiteBase(string store, RedisCluster? cluster) : IAsyncLifetime
{
    protected const string Admin = "admin-1";
    protected const string Reader = "read-1";

    /// <summary>Waiting only: how long a transition may take on a loaded machine.</summary>
    protected static TimeSpan Wait { get; } = TimeSpan.FromSeconds(60);

    /// <summary>The store's configuration string.</summary>
    protected string Store { get; } = store;

    /// <summary>The key file naming <see cref="Reader"/>.</summary>
    protected string ReadKeys { get; } = Path.Combine(Path.GetTempPath(), $"presence-read-keys-{Guid.NewGuid():N}");

    private readonly string _adminKeys = Path.Combine(Path.GetTempPath(), $"presence-admin-keys-{Guid.NewGuid():N}");

    public virtual Task InitializeAsync()
    {
        cluster?.WaitHealthy();
        foreach (var (file, key) in new[] { (_adminKeys, Admin), (ReadKeys, Reader) })
        {
            File.WriteAllText(file, key + "\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return Task.CompletedTask;
    }

    public virtual Task DisposeAsync()
    {
        File.Delete(_adminKeys);
        File.Delete(ReadKeys);
        return Task.CompletedTask;
    }

    /// <summary>A query service on <see cref="Store"/> under <paramref name="prefix"/>, taking both keys.</summary>
    private protected Task<QueryHost> Start(string prefix, Action<QueryOptions>? more = null) => QueryHost.StartAsync(Store, prefix, o =>
    {
        o.AdminKeys = _adminKeys;
        o.ApiKeys = ReadKeys;
        more?.Invoke(o);
    });

    /// <summary>One Garnet in this process for a class's tests (each uses keys of its own).</summary>
    public sealed class Garnet : IDisposable
    {
        internal Events.EmbeddedGarnet Store { get; } = new();

        public void Dispose() => Store.Dispose();
    }
}
