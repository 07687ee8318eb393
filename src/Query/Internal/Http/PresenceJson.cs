using System.Buffers.Text;
using System.Buffers;
using System.Text.Json;
using Presence.Core.LastSeen;
using Presence.Query.Internal.Store;

namespace Presence.Query.Internal.Http;

/// <summary>
/// Writes presence answers with <see cref="Utf8JsonWriter"/>: ids as decimal strings (HTTP-API.md),
/// nothing allocated per id. <see cref="Render"/> writes into a per-thread buffer, so the response
/// can go out with a Content-Length in one send (not chunked, not a second write for the last chunk).
/// </summary>
internal static class PresenceJson
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? s_threadBuffer;

    [ThreadStatic]
    private static Utf8JsonWriter? s_threadWriter;

    /// <summary>
    /// The answer for ids with their times, in a buffer owned by this thread: valid until this thread
    /// renders again, so copy it out before any await.
    /// </summary>
    public static ReadOnlySpan<byte> Render(ReadOnlySpan<ulong> ids, ReadOnlySpan<long> lastSeenMs, bool single)
    {
        var writer = ThreadWriter(out var buffer);
        if (single)
            WriteEntry(writer, ids[0], lastSeenMs[0]);
        else
            WriteBatch(writer, ids, lastSeenMs);
        writer.Flush();
        return buffer.WrittenSpan;
    }

    /// <summary>This thread's writer, reset onto its emptied buffer (see <see cref="Render"/>).</summary>
    internal static Utf8JsonWriter ThreadWriter(out ArrayBufferWriter<byte> buffer)
    {
        buffer = s_threadBuffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        var writer = s_threadWriter ??= new Utf8JsonWriter(buffer, s_options);
        writer.Reset(buffer);
        return writer;
    }

    private static readonly JsonEncodedText s_id = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText s_online = JsonEncodedText.Encode("online");
    private static readonly JsonEncodedText s_lastSeenMs = JsonEncodedText.Encode("lastSeenMs");
    private static readonly JsonEncodedText s_users = JsonEncodedText.Encode("users");
    private static readonly JsonWriterOptions s_options = new() { SkipValidation = true };

    /// <summary><c>{"users":[…],"online":N}</c>, one entry per id in request order.</summary>
    private static void WriteBatch(Utf8JsonWriter writer, ReadOnlySpan<ulong> ids, ReadOnlySpan<long> lastSeenMs)
    {
        writer.WriteStartObject();
        writer.WriteStartArray(s_users);
        int online = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            WriteEntry(writer, ids[i], lastSeenMs[i]);
            online += PresenceStore.IsOnline(lastSeenMs[i]) ? 1 : 0;
        }
        writer.WriteEndArray();
        writer.WriteNumber(s_online, online);
        writer.WriteEndObject();
    }

    /// <summary><c>{"id":"42","online":true,"lastSeenMs":1764270000123}</c>; offline, <c>lastSeenMs</c> the last seen or null.</summary>
    internal static void WriteEntry(Utf8JsonWriter writer, ulong id, long lastSeenMs)
    {
        writer.WriteStartObject();
        WriteEntryFields(writer, id, lastSeenMs);
        writer.WriteEndObject();
    }

    /// <summary>The members of <see cref="WriteEntry"/>'s object, inside one the caller opened (a stream's event adds its own).</summary>
    internal static void WriteEntryFields(Utf8JsonWriter writer, ulong id, long lastSeenMs)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(id, digits, out int length);
        writer.WriteString(s_id, digits[..length]);
        bool online = PresenceStore.IsOnline(lastSeenMs);
        writer.WriteBoolean(s_online, online);
        if (online && lastSeenMs != PresenceStore.UnknownTime)
            writer.WriteNumber(s_lastSeenMs, lastSeenMs);
        else if (!online && LastSeenTime.DecodeOffline(lastSeenMs) is { } seen)
            writer.WriteNumber(s_lastSeenMs, seen);
        else
            writer.WriteNull(s_lastSeenMs);
    }
}
