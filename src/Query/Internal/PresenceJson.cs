using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace Presence.Query.Internal;

/// <summary>
/// Writes presence answers with <see cref="Utf8JsonWriter"/> straight into the response: ids as
/// decimal strings (HTTP-API.md), nothing allocated per id.
/// </summary>
internal static class PresenceJson
{
    private static readonly JsonEncodedText s_id = JsonEncodedText.Encode("id");
    private static readonly JsonEncodedText s_online = JsonEncodedText.Encode("online");
    private static readonly JsonEncodedText s_lastSeenMs = JsonEncodedText.Encode("lastSeenMs");
    private static readonly JsonEncodedText s_users = JsonEncodedText.Encode("users");
    private static readonly JsonWriterOptions s_options = new() { SkipValidation = true };

    /// <summary><c>{"id":"42","online":true,"lastSeenMs":1764270000123}</c></summary>
    public static void WriteUser(IBufferWriter<byte> output, ulong id, long lastSeenMs)
    {
        using var writer = new Utf8JsonWriter(output, s_options);
        WriteEntry(writer, id, lastSeenMs);
        writer.Flush();
    }

    /// <summary><c>{"users":[…],"online":N}</c>, one entry per id in request order.</summary>
    public static void WriteBatch(IBufferWriter<byte> output, ReadOnlySpan<ulong> ids, ReadOnlySpan<long> lastSeenMs)
    {
        using var writer = new Utf8JsonWriter(output, s_options);
        writer.WriteStartObject();
        writer.WriteStartArray(s_users);
        int online = 0;
        for (int i = 0; i < ids.Length; i++)
        {
            WriteEntry(writer, ids[i], lastSeenMs[i]);
            online += lastSeenMs[i] != PresenceStore.Offline ? 1 : 0;
        }
        writer.WriteEndArray();
        writer.WriteNumber(s_online, online);
        writer.WriteEndObject();
        writer.Flush();
    }

    private static void WriteEntry(Utf8JsonWriter writer, ulong id, long lastSeenMs)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(id, digits, out int length);
        writer.WriteStartObject();
        writer.WriteString(s_id, digits[..length]);
        bool online = lastSeenMs != PresenceStore.Offline;
        writer.WriteBoolean(s_online, online);
        if (online && lastSeenMs != PresenceStore.UnknownTime)
            writer.WriteNumber(s_lastSeenMs, lastSeenMs);
        else
            writer.WriteNull(s_lastSeenMs);
        writer.WriteEndObject();
    }
}
