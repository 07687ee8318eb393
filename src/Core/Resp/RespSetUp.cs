using System.Buffers;
using System.Globalization;
using System.Net.Sockets;

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

    /// <summary>
    /// Reads one reply from the front of <paramref name="data"/> with the connection's own reply reader:
    /// false when <paramref name="data"/> does not hold a whole one yet; <paramref name="error"/> is an
    /// error reply's text, null for any other reply.
    /// </summary>
    public delegate bool ReadReply(ReadOnlySpan<byte> data, out int used, out string? error);

    /// <summary>
    /// Sends <see cref="Commands"/> over a newly connected <paramref name="socket"/> and reads their
    /// <see cref="Replies"/> replies into <paramref name="buffer"/> with <paramref name="read"/>.
    /// Throws <see cref="IOException"/> when the store refuses a command that must succeed or closes the
    /// connection, <see cref="InvalidDataException"/> when it sends more than was asked.
    /// </summary>
    public async Task RunAsync(Socket socket, byte[] buffer, ReadReply read, CancellationToken cancel)
    {
        if (Replies == 0)
            return;
        await socket.SendAsync(Commands, SocketFlags.None, cancel).ConfigureAwait(false);
        int replies = 0, start = 0, end = 0;
        while (replies < Replies)
        {
            if (end == buffer.Length)
                throw new InvalidDataException("a reply to the connection's set-up is longer than the receive buffer");
            int received = await socket.ReceiveAsync(buffer.AsMemory(end), SocketFlags.None, cancel).ConfigureAwait(false);
            if (received == 0)
                throw new IOException("the store closed the connection while it was set up");
            end += received;
            while (replies < Replies && TakeReply(buffer.AsSpan(start, end - start), read, replies, out int used))
            {
                start += used;
                replies++;
            }
            if (start == end)
                start = end = 0;
        }
        if (start != end)
            throw new InvalidDataException("the store sent more than was asked while the connection was set up");
    }

    /// <summary>Reads reply <paramref name="index"/> (false: not whole yet), throwing when it refuses the connection.</summary>
    private bool TakeReply(ReadOnlySpan<byte> data, ReadReply read, int index, out int used)
    {
        if (!read(data, out used, out string? error))
            return false;
        if (!Accepts(index, error is not null))
            throw new IOException($"the store refused the connection's set-up: {(error!.Length <= 200 ? error : error[..200] + "…")}");
        return true;
    }
}
