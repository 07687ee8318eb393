using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;

namespace Presence.Bench.Micro;

/// <summary>The one config every benchmark runs under: allocations are always reported.</summary>
public static class BenchConfig
{
    public static IConfig Create() => DefaultConfig.Instance.AddDiagnoser(MemoryDiagnoser.Default);
}
