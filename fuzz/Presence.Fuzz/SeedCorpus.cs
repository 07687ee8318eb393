using System.Text.Json;

namespace Presence.Fuzz;

/// <summary>The seed inputs: every frame of the spec's vectors.json (valid, invalid, bad tag), and for the TCP target the same frames back to back.</summary>
public static class SeedCorpus
{
    public static string DefaultVectors => Path.Combine(AppContext.BaseDirectory, "vectors.json");

    public static List<byte[]> Frames(string vectorsPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(vectorsPath));
        var frames = new List<byte[]>();
        foreach (var section in new[] { "valid", "invalid", "bad_tag" })
        {
            if (!doc.RootElement.TryGetProperty(section, out var vectors))
                continue;
            foreach (var v in vectors.EnumerateArray())
                if (v.TryGetProperty("hex", out var hex))
                    frames.Add(Convert.FromHexString(hex.GetString()!));
        }
        return frames;
    }

    /// <summary>Seeds for <paramref name="target"/>: a TCP input starts with its segment-size byte.</summary>
    public static List<byte[]> For(string target, string vectorsPath)
    {
        var frames = Frames(vectorsPath);
        if (target != "tcp")
            return frames;
        var seeds = frames.Select(f => (byte[])[7, .. f]).ToList();
        seeds.Add([0, .. frames.SelectMany(f => f)]); // one stream, every vector back to back
        return seeds;
    }

    /// <summary>Writes the seeds as one file each (libFuzzer's corpus directory).</summary>
    public static int Write(string target, string directory, string vectorsPath)
    {
        Directory.CreateDirectory(directory);
        var seeds = For(target, vectorsPath);
        for (int i = 0; i < seeds.Count; i++)
            File.WriteAllBytes(Path.Combine(directory, $"seed-{i:D3}"), seeds[i]);
        return seeds.Count;
    }
}
