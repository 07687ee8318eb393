using YamlDotNet.RepresentationModel;

namespace Presence.Integration.Tests.Deploy;

/// <summary>Just enough YAML navigation for compose.yaml and the Prometheus rule files.</summary>
internal static class Yaml
{
    public static YamlMappingNode Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StringReader(File.ReadAllText(path));
        stream.Load(reader);
        return Assert.IsType<YamlMappingNode>(stream.Documents.Single().RootNode);
    }

    public static YamlNode? Get(this YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) ? node : null;

    public static YamlMappingNode Map(this YamlMappingNode map, string key) =>
        Assert.IsType<YamlMappingNode>(map.Get(key) ?? throw new InvalidOperationException($"no '{key}'"));

    public static IEnumerable<YamlNode> Seq(this YamlMappingNode map, string key) =>
        map.Get(key) is YamlSequenceNode seq ? seq.Children : [];

    public static string? Text(this YamlMappingNode map, string key) => (map.Get(key) as YamlScalarNode)?.Value;

    public static IEnumerable<YamlMappingNode> Maps(this IEnumerable<YamlNode> nodes) => nodes.Select(n => Assert.IsType<YamlMappingNode>(n));

    public static List<string> Strings(this YamlMappingNode map, string key) =>
        map.Seq(key).Select(n => Assert.IsType<YamlScalarNode>(n).Value ?? "").ToList();
}
