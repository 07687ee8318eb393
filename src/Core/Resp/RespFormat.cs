using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Presence.Core.Resp;

/// <summary>
/// Writes RESP commands straight into an output buffer, keys formatted in place (prefix bytes, then
/// the id's digits): no key objects, no array per key. Shared by the query service's direct reads
/// and the ingester's direct writes, the two paths that go past the store client for speed.
/// </summary>
internal static class RespFormat
{
    /// <summary>The array header (<c>*n</c>) or a bulk string's length line (<c>$n</c>).</summary>
    public static void WriteLength(IBufferWriter<byte> output, byte type, int value)
    {
        var span = output.GetSpan(16);
        span[0] = type;
        Utf8Formatter.TryFormat(value, span[1..], out int digits);
        span[1 + digits] = (byte)'\r';
        span[2 + digits] = (byte)'\n';
        output.Advance(3 + digits);
    }

    /// <summary>Bytes already in RESP (a command's fixed part, e.g. <c>*2\r\n$3\r\nGET\r\n</c>).</summary>
    public static void WriteRaw(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    /// <summary>One bulk string of <paramref name="value"/>'s bytes.</summary>
    public static void WriteBulk(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        WriteLength(output, (byte)'$', value.Length);
        var span = output.GetSpan(value.Length + 2);
        value.CopyTo(span);
        span[value.Length] = (byte)'\r';
        span[value.Length + 1] = (byte)'\n';
        output.Advance(value.Length + 2);
    }

    /// <summary>One bulk string: <paramref name="prefix"/> then <paramref name="number"/> in decimal (a key, or a number alone).</summary>
    public static void WriteKey(IBufferWriter<byte> output, ReadOnlySpan<byte> prefix, ulong number)
    {
        int length = prefix.Length + PresenceKeys.CountDigits(number);
        WriteLength(output, (byte)'$', length);
        var span = output.GetSpan(length + 2);
        PresenceKeys.Format(prefix, number, span);
        span[length] = (byte)'\r';
        span[length + 1] = (byte)'\n';
        output.Advance(length + 2);
    }

    /// <summary>A command of bulk-string arguments (a connection's set-up: AUTH, SELECT, CLIENT SETNAME, SCRIPT LOAD).</summary>
    public static void Write(IBufferWriter<byte> output, params ReadOnlySpan<string> arguments)
    {
        WriteLength(output, (byte)'*', arguments.Length);
        foreach (var argument in arguments)
        {
            int length = Encoding.UTF8.GetByteCount(argument);
            WriteLength(output, (byte)'$', length);
            var span = output.GetSpan(length + 2);
            Encoding.UTF8.GetBytes(argument, span);
            span[length] = (byte)'\r';
            span[length + 1] = (byte)'\n';
            output.Advance(length + 2);
        }
    }
}
