using System.Buffers;
using System.Globalization;

namespace Presence.Core.Resp;

/// <summary>
/// What a direct connection to the store sends when it opens, before anything else, in one send:
/// AUTH, SELECT and CLIENT SETNAME as the configuration asks, SCRIPT LOAD of a script its commands
/// run, and which of their replies may be an error. A refused AUTH, SELECT or SCRIPT LOAD fails the
/// connection (commands would go to the wrong database or be refused one by one); a store without
/// CLIENT SETNAME still serves.
/// </summary>
internal sealed class RespSetUp
{
    private readonly bool[] _mustSucceed;

    private RespSetUp(byte[] commands, bool[] mustSucceed)
    {
        Commands = commands;
        _mustSucceed = mustSucceed;
    }

    /// <summary>The commands in RESP, one after another; empty when the configuration asks for none.</summary>
    public byte[] Commands { get; }

    /// <summary>How many replies the set-up waits for: one per command.</summary>
    public int Replies => _mustSucceed.Length;

    /// <param name="user">ACL user (with <paramref name="password"/>); null or empty: none.</param>
    /// <param name="password">AUTH password; null or empty: no AUTH.</param>
    /// <param name="database">SELECT this database unless null or 0.</param>
    /// <param name="clientName">CLIENT SETNAME (spaces become dashes); null or empty: none.</param>
    /// <param name="script">A script the connection's commands run (EVALSHA), loaded last; null: none.</param>
    public static RespSetUp From(string? user, string? password, int? database, string? clientName, string? script = null)
    {
        var output = new ArrayBufferWriter<byte>();
        var mustSucceed = new List<bool>();
        if (password is { Length: > 0 })
        {
            if (user is { Length: > 0 })
                RespFormat.Write(output, "AUTH", user, password);
            else
                RespFormat.Write(output, "AUTH", password);
            mustSucceed.Add(true);
        }
        if (database is int number and not 0)
        {
            RespFormat.Write(output, "SELECT", number.ToString(CultureInfo.InvariantCulture));
            mustSucceed.Add(true);
        }
        if (clientName is { Length: > 0 })
        {
            // For CLIENT LIST on the store; a store without the command still serves.
            RespFormat.Write(output, "CLIENT", "SETNAME", clientName.Replace(' ', '-'));
            mustSucceed.Add(false);
        }
        if (script is not null)
        {
            RespFormat.Write(output, "SCRIPT", "LOAD", script);
            mustSucceed.Add(true);
        }
        return new RespSetUp(output.WrittenSpan.ToArray(), [.. mustSucceed]);
    }

    /// <summary>Whether the reply to command <paramref name="index"/> lets the connection open (<paramref name="isError"/>: it was an error reply).</summary>
    public bool Accepts(int index, bool isError) => !isError || !_mustSucceed[index];
}
