using System.Globalization;
using System.Text.Json;

namespace Presence.Unit.Tests;

/// <summary>docs/vectors.json (the protocol's test vectors), copied beside the tests at build.</summary>
internal static class Vectors
{
    private static readonly Lazy<JsonDocument> s_doc = new(() =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "vectors.json"))));

    public static JsonElement Root => s_doc.Value.RootElement;

    public static byte[] MasterKey(byte keyId) =>
        Convert.FromHexString(Root.GetProperty("master_keys_hex").GetProperty(keyId.ToString(CultureInfo.InvariantCulture)).GetString()!);

    public static MasterKeyRing Ring()
    {
        var ring = new MasterKeyRing();
        foreach (var key in Root.GetProperty("master_keys_hex").EnumerateObject())
            ring.Add(byte.Parse(key.Name, CultureInfo.InvariantCulture), Convert.FromHexString(key.Value.GetString()!));
        return ring;
    }

    public static TheoryData<string> Names(string section)
    {
        var data = new TheoryData<string>();
        foreach (var v in Root.GetProperty(section).EnumerateArray())
            data.Add(v.GetProperty("name").GetString()!);
        return data;
    }

    public static JsonElement Get(string section, string name) =>
        Root.GetProperty(section).EnumerateArray().Single(v => v.GetProperty("name").GetString() == name);

    public static byte[] Hex(JsonElement vector) => Convert.FromHexString(vector.GetProperty("hex").GetString()!);

    public static HeartbeatRecord Record(JsonElement r) => new(
        ulong.Parse(r.GetProperty("user_id").GetString()!, CultureInfo.InvariantCulture),
        r.GetProperty("time").GetUInt32(),
        r.GetProperty("seq").GetUInt16(),
        (RecordKind)r.GetProperty("kind").GetByte(),
        r.GetProperty("key_id").GetByte());
}
