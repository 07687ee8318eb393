using System.Buffers;
using System.Globalization;
using StackExchange.Redis;

namespace Presence.Query.Internal.Store;

/// <summary>
/// What a <see cref="ReadConnection"/> sends when it opens, before any read, in one send: AUTH,
/// SELECT and CLIENT SETNAME as the configuration asks, SCRIPT LOAD of the presence script when
/// reads use it, and which of their replies may be an error. A refused AUTH, SELECT or SCRIPT LOAD
/// fails the connection (reads would go to the wrong database or be refused one by one); a store
/// without CLIENT SETNAME still serves reads.
/// </summary>
internal sealed class ConnectionSetUp
{
    private readonly bool[] _mustSucceed;

    private ConnectionSetUp(byte[] commands, bool[] mustSucceed)
    {
        Commands = commands;
        _mustSucceed = mustSucceed;
    }

    /// <summary>The commands in RESP, one after another; empty when the configuration asks for none.</summary>
    public byte[] Commands { get; }

    /// <summary>How many replies the set-up waits for: one per command.</summary>
    public int Replies => _mustSucceed.Length;

    /// <param name="script">A script the connection's reads run (EVALSHA), loaded first; null: none.</param>
    public static ConnectionSetUp From(ConfigurationOptions options, string? script = null)
    {
        var output = new ArrayBufferWriter<byte>();
        var mustSucceed = new List<bool>();
        if (options.Password is { Length: > 0 } password)
        {
            if (options.User is { Length: > 0 } user)
                RespCommand.Write(output, "AUTH", user, password);
            else
                RespCommand.Write(output, "AUTH", password);
            mustSucceed.Add(true);
        }
        if (options.DefaultDatabase is int database and not 0)
        {
            RespCommand.Write(output, "SELECT", database.ToString(CultureInfo.InvariantCulture));
            mustSucceed.Add(true);
        }
        if (options.ClientName is { Length: > 0 } name)
        {
            // For CLIENT LIST on the store; a store without the command still serves reads.
            RespCommand.Write(output, "CLIENT", "SETNAME", name.Replace(' ', '-'));
            mustSucceed.Add(false);
        }
        if (script is not null)
        {
            RespCommand.Write(output, "SCRIPT", "LOAD", script);
            mustSucceed.Add(true);
        }
        return new ConnectionSetUp(output.WrittenSpan.ToArray(), [.. mustSucceed]);
    }

    /// <summary>Whether <paramref name="reply"/>, the reply to command <paramref name="index"/>, lets the connection open.</summary>
    public bool Accepts(int index, ReplyEvent reply) => reply != ReplyEvent.Error || !_mustSucceed[index];
}
