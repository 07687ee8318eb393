using System.Text.Json;
using Presence.Bench.Faults.History;

namespace Presence.Bench.Faults.Run;

/// <summary>A run's history as JSON (reflection-based System.Text.Json: a bench, not a hot path).</summary>
internal static class HistoryFile
{
    private static readonly JsonSerializerOptions s_options = new()
    {
        WriteIndented = false,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    public static void Write(string path, RunHistory history)
    {
        using var file = File.Create(path);
        JsonSerializer.Serialize(file, history, s_options);
    }

    public static RunHistory Read(string path)
    {
        using var file = File.OpenRead(path);
        return JsonSerializer.Deserialize<RunHistory>(file, s_options) ?? throw new InvalidDataException($"{path} holds no history");
    }
}
