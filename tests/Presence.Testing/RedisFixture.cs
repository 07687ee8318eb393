namespace Presence.Testing;

/// <summary>
/// The integration assembly's shared <c>redis-server</c>: started once (as the fixture of the one
/// collection every integration test class joins), stopped when the run ends. Tests keep apart
/// by using key prefixes of their own (<see cref="TestKeys"/>). Tests that stop or pause a server
/// start one of their own with <see cref="RedisServer.Start"/> instead.
/// </summary>
public sealed class RedisFixture : IDisposable
{
    public RedisFixture() => Server = RedisServer.Start();

    public RedisServer Server { get; }

    public void Dispose() => Server.Dispose();
}
