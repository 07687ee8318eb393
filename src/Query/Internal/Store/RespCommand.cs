using System.Buffers;
using System.Buffers.Text;
using Presence.Core;
using Presence.Core.LastSeen;

namespace Presence.Query.Internal.Store;

/// <summary>
/// Writes the read commands in RESP, keys formatted straight into the output (prefix bytes, then the
/// id's digits): no key objects, no array per key.
/// </summary>
internal static class RespCommand
{
    /// <summary><c>GET key</c> for one id, <c>MGET key…</c> for more.</summary>
    public static void WriteGet(IBufferWriter<byte> output, ReadOnlySpan<byte> prefix, ReadOnlySpan<ulong> ids)
    {
        if (ids.Length == 1)
        {
            WriteRaw(output, "*2\r\n$3\r\nGET\r\n"u8);
        }
        else
        {
            WriteLength(output, (byte)'*', ids.Length + 1);
            WriteRaw(output, "$4\r\nMGET\r\n"u8);
        }
        foreach (var id in ids)
            WriteKey(output, prefix, id);
    }

    /// <summary>One bulk string: <paramref name="prefix"/> then <paramref name="number"/> in decimal.</summary>
    private static void WriteKey(IBufferWriter<byte> output, ReadOnlySpan<byte> prefix, ulong number)
    {
        int length = prefix.Length + PresenceKeys.CountDigits(number);
        WriteLength(output, (byte)'$', length);
        var span = output.GetSpan(length + 2);
        PresenceKeys.Format(prefix, number, span);
        span[length] = (byte)'\r';
        span[length + 1] = (byte)'\n';
        output.Advance(length + 2);
    }

    private static void WriteBulk(IBufferWriter<byte> output, ReadOnlySpan<byte> value)
    {
        WriteLength(output, (byte)'$', value.Length);
        var span = output.GetSpan(value.Length + 2);
        value.CopyTo(span);
        span[value.Length] = (byte)'\r';
        span[value.Length + 1] = (byte)'\n';
        output.Advance(value.Length + 2);
    }

    /// <summary>
    /// <c>EVALSHA sha n key… bucket… field…</c> of the presence script for <paramref name="ids"/>: their
    /// presence keys (<paramref name="prefix"/> + id), their last-seen buckets (<paramref name="bucketPrefix"/>
    /// + bucket, <see cref="LastSeenKeys.Bucket"/>) and their fields (the id in decimal).
    /// </summary>
    public static void WritePresenceScript(IBufferWriter<byte> output, ReadOnlySpan<byte> sha, ReadOnlySpan<byte> prefix, ReadOnlySpan<byte> bucketPrefix, ReadOnlySpan<ulong> ids)
    {
        WriteLength(output, (byte)'*', 3 + 3 * ids.Length);
        WriteRaw(output, "$7\r\nEVALSHA\r\n"u8);
        WriteBulk(output, sha);
        Span<byte> count = stackalloc byte[11];
        Utf8Formatter.TryFormat(2 * ids.Length, count, out int countDigits);
        WriteBulk(output, count[..countDigits]);
        foreach (var id in ids)
            WriteKey(output, prefix, id);
        foreach (var id in ids)
            WriteKey(output, bucketPrefix, (ulong)LastSeenKeys.Bucket(id));
        foreach (var id in ids)
            WriteKey(output, default, id);
    }

    public static void WritePing(IBufferWriter<byte> output) => WriteRaw(output, "*1\r\n$4\r\nPING\r\n"u8);

    /// <summary>A command of bulk-string arguments, for the connection's set-up (AUTH, SELECT, CLIENT SETNAME).</summary>
    public static void Write(IBufferWriter<byte> output, params ReadOnlySpan<string> arguments)
    {
        WriteLength(output, (byte)'*', arguments.Length);
        foreach (var argument in arguments)
        {
            int length = System.Text.Encoding.UTF8.GetByteCount(argument);
            WriteLength(output, (byte)'$', length);
            var span = output.GetSpan(length + 2);
            System.Text.Encoding.UTF8.GetBytes(argument, span);
            span[length] = (byte)'\r';
            span[length + 1] = (byte)'\n';
            output.Advance(length + 2);
        }
    }

    private static void WriteLength(IBufferWriter<byte> output, byte type, int value)
    {
        var span = output.GetSpan(16);
        span[0] = type;
        Utf8Formatter.TryFormat(value, span[1..], out int digits);
        span[1 + digits] = (byte)'\r';
        span[2 + digits] = (byte)'\n';
        output.Advance(3 + digits);
    }

    private static void WriteRaw(IBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }
}
