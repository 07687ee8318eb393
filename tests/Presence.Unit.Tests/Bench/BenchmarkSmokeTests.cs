using System.Reflection;
using BenchmarkDotNet.Attributes;

namespace Presence.Unit.Tests.Bench;

/// <summary>
/// Runs every benchmark of bench/Micro once, for every combination of its [Params], so none
/// rots: [GlobalSetup], each [Benchmark] method once, [GlobalCleanup]. Each benchmark returns
/// what it produced (a count, a sum); it must be something, not the type's default or a -1
/// sentinel. No timing is asserted.
/// </summary>
public sealed class BenchmarkSmokeTests
{
    private static readonly Assembly s_micro = typeof(Presence.Bench.Micro.BenchConfig).Assembly;

    public static TheoryData<string> BenchmarkClasses()
    {
        var data = new TheoryData<string>();
        foreach (var type in BenchmarkTypes())
            data.Add(type.FullName!);
        return data;
    }

    [Fact]
    public void BenchMicro_HasBenchmarks_IncludingSignedVerifyAndFlushBatch()
    {
        var names = BenchmarkTypes().Select(t => t.Name).ToArray();
        Assert.Contains("ParseBenchmarks", names);
        Assert.Contains("IntakeBenchmarks", names);
        Assert.Contains("LoadGenBenchmarks", names);
        Assert.Contains("SignedIntakeBenchmarks", names);
        Assert.Contains("FlushBatchBenchmarks", names);
        Assert.Contains("ExpiryTrackerBenchmarks", names);
    }

    [Theory]
    [MemberData(nameof(BenchmarkClasses))]
    public void EveryBenchmark_RunOnce_ReturnsAResult(string typeName)
    {
        var type = s_micro.GetType(typeName, throwOnError: true)!;
        var benchmarks = type.GetMethods().Where(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null).ToArray();
        Assert.NotEmpty(benchmarks);
        int runs = 0;
        foreach (var assignment in ParamCombinations(type))
        {
            var instance = Activator.CreateInstance(type)!;
            foreach (var (property, value) in assignment)
                property.SetValue(instance, value);
            string where = $"{type.Name}({string.Join(", ", assignment.Select(a => $"{a.Property.Name}={a.Value}"))})";
            Invoke<GlobalSetupAttribute>(type, instance);
            foreach (var method in benchmarks)
            {
                var result = method.Invoke(instance, null);
                Assert.True(method.ReturnType != typeof(void), $"{where}.{method.Name} returns nothing checkable");
                Assert.NotNull(result);
                Assert.False(result.Equals(Activator.CreateInstance(method.ReturnType)), $"{where}.{method.Name} returned {result}");
                Assert.False(Convert.ToDouble(result, System.Globalization.CultureInfo.InvariantCulture) < 0, $"{where}.{method.Name} returned {result}");
                runs++;
            }
            Invoke<GlobalCleanupAttribute>(type, instance);
        }
        Assert.True(runs > 0);
    }

    private static IEnumerable<Type> BenchmarkTypes() =>
        s_micro.GetTypes()
            .Where(t => t is { IsClass: true, IsAbstract: false, IsPublic: true })
            .Where(t => t.GetMethods().Any(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null))
            .OrderBy(t => t.Name, StringComparer.Ordinal);

    private static void Invoke<TAttribute>(Type type, object instance) where TAttribute : Attribute
    {
        foreach (var method in type.GetMethods().Where(m => m.GetCustomAttribute<TAttribute>() is not null))
            method.Invoke(instance, null);
    }

    /// <summary>Every combination of the [Params] values of <paramref name="type"/>'s properties (one empty one when there are none).</summary>
    private static List<(PropertyInfo Property, object? Value)[]> ParamCombinations(Type type)
    {
        var combinations = new List<(PropertyInfo, object?)[]> { Array.Empty<(PropertyInfo, object?)>() };
        foreach (var property in type.GetProperties())
        {
            if (property.GetCustomAttribute<ParamsAttribute>() is not { } attribute)
                continue;
            combinations = combinations
                .SelectMany(c => attribute.Values.Select(v => c.Append((property, v)).ToArray()))
                .ToList();
        }
        return combinations;
    }
}
