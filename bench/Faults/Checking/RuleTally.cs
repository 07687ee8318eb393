namespace Presence.Bench.Faults.Checking;

/// <summary>What one rule judged and found while it runs; <see cref="ToResult"/> freezes it for the report.</summary>
internal sealed class RuleTally(string name, string title, string unit)
{
    private string? _firstExample;

    public long Judged { get; private set; }

    public long Violations { get; private set; }

    public void Judge(long count = 1) => Judged += count;

    public void Fail(string example)
    {
        Violations++;
        _firstExample ??= example;
    }

    public RuleResult ToResult() => new(name, title, unit, Judged, Violations, _firstExample);
}
