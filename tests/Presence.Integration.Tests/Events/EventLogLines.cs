using Presence.Core.Events;
using StackExchange.Redis;

namespace Presence.Integration.Tests.Events;

/// <summary>The events log as the store holds it now, every line numbered by its place (docs/EVENTS.md).</summary>
internal static class EventLogLines
{
    // {last seq, lines…} in one script, so the number and the list are of one moment.
    private const string ReadAll = """
        local result = {tonumber(redis.call('GET', KEYS[1]) or '0')}
        for _, line in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do result[#result + 1] = line end
        return result
        """;

    /// <summary>Every line the log holds, oldest first; throws at one that does not parse as the line of its place.</summary>
    public static async Task<List<EventLogLine>> ReadAsync(IDatabase db, EventLogKeys keys)
    {
        var reply = (RedisResult[])(await db.ScriptEvaluateAsync(ReadAll, [keys.Seq, keys.Log]))!;
        long first = (long)reply[0] - (reply.Length - 1) + 1;
        var lines = new List<EventLogLine>(reply.Length - 1);
        for (int i = 1; i < reply.Length; i++)
        {
            lines.Add(EventLogLine.TryParse((byte[])reply[i]!, first + i - 1, out var line)
                ? line
                : throw new InvalidDataException($"log line {first + i - 1} '{(string?)reply[i]}'"));
        }
        return lines;
    }
}
