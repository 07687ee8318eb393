using System.Buffers;
using System.Buffers.Text;
using Presence.Core.LastSeen;
using Presence.Core.Resp;
using static Presence.Core.Resp.RespFormat;

namespace Presence.Query.Internal.Store;

/// <summary>
/// Writes the read commands in RESP (<see cref="RespFormat"/>), keys formatted straight into the output.
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
}
