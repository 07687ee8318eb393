using Presence.Fuzz;

namespace Presence.Unit.Tests.Fuzz;

/// <summary>
/// The fuzz targets of fuzz/Presence.Fuzz run in-process over the seed corpus (vectors.json) and
/// random mutations of it, bounded in executions and time, so the test command exercises them
/// on every run. The coverage-guided runs are fuzz/run-libfuzzer.sh (SECURITY.md).
/// </summary>
public sealed class FuzzSmokeTests
{
    private static readonly TimeSpan s_budget = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData("parse", 2_000_000)]
    [InlineData("tcp", 200_000)]
    public void Target_SeedsAndMutations_NoFinding(string name, long executions)
    {
        var seeds = SeedCorpus.For(name, Path.Combine(AppContext.BaseDirectory, "vectors.json"));
        Assert.True(seeds.Count >= 10, "the seed corpus is the spec's vectors");

        // A fixed seed: a finding here reproduces, and its input is in the exception message.
        var result = RandomRun.Run(FuzzTargets.All[name], seeds, executions, s_budget, seed: 7);

        Assert.True(result.Executions >= seeds.Count);
    }

    [Fact]
    public void Seeds_ValidVectors_ParseOk()
    {
        var valid = Vectors.Root.GetProperty("valid").EnumerateArray().Select(Vectors.Hex).ToList();
        Assert.All(valid, f => Assert.Equal(FrameStatus.Ok, FrameParser.TryParse(f, out _)));
        Assert.Superset(valid.Select(Convert.ToHexString).ToHashSet(),
            SeedCorpus.Frames(Path.Combine(AppContext.BaseDirectory, "vectors.json")).Select(Convert.ToHexString).ToHashSet());
    }
}
