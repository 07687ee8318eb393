namespace Presence.Bench.Faults.Checking;

/// <summary>One rule's verdict: how many <see cref="Unit"/> it judged, how many broke it, and the first that did, readable.</summary>
internal sealed record RuleResult(string Name, string Title, string Unit, long Judged, long Violations, string? FirstExample)
{
    public bool Passed => Violations == 0;
}
