using Presence.Core.Resp;
using StackExchange.Redis;

namespace Presence.Query.Internal.Store;

/// <summary>
/// What a <see cref="ReadConnection"/> sends when it opens, before any read (<see cref="RespSetUp"/>):
/// AUTH, SELECT and CLIENT SETNAME as the configuration asks, SCRIPT LOAD of the presence script when
/// reads use it, and which of their replies may be an error.
/// </summary>
internal sealed class ConnectionSetUp
{
    private readonly RespSetUp _setUp;

    private ConnectionSetUp(RespSetUp setUp) => _setUp = setUp;

    /// <summary>The commands in RESP, one after another; empty when the configuration asks for none.</summary>
    public byte[] Commands => _setUp.Commands;

    /// <summary>How many replies the set-up waits for: one per command.</summary>
    public int Replies => _setUp.Replies;

    /// <param name="script">A script the connection's reads run (EVALSHA), loaded first; null: none.</param>
    public static ConnectionSetUp From(ConfigurationOptions options, string? script = null) =>
        new(RespSetUp.From(options.User, options.Password, options.DefaultDatabase, options.ClientName, script));

    /// <summary>Sends the commands and reads their replies (<see cref="RespSetUp.RunAsync"/>).</summary>
    public Task RunAsync(System.Net.Sockets.Socket socket, byte[] buffer, RespSetUp.ReadReply read, CancellationToken cancel) =>
        _setUp.RunAsync(socket, buffer, read, cancel);

    /// <summary>Whether <paramref name="reply"/>, the reply to command <paramref name="index"/>, lets the connection open.</summary>
    public bool Accepts(int index, ReplyEvent reply) => _setUp.Accepts(index, reply == ReplyEvent.Error);
}
