using CommandLine;

namespace Presence.Bench.Faults.Run;

/// <summary>The fault-schedule run's command line (docs/FAULTS.md, "Options").</summary>
internal sealed class FaultsOptions
{
    /// <summary>The seed of the quick run: fixed, so the test command always runs the same schedule.</summary>
    public const int QuickSeed = 19;

    [Option("quick", HelpText = "The short run of the test command: at most 90 s, seed 19, hundreds of users, tens of subscribers, one fault of each kind.")]
    public bool Quick { get; set; }

    [Option("seed", HelpText = "Seed of the schedule and of every random choice (default: 19 with --quick, else random and printed).")]
    public int? Seed { get; set; }

    [Option("duration", HelpText = "Seconds of faults in the long run (default 1800; --quick: its own short schedule).")]
    public int? Duration { get; set; }

    [Option("cluster", HelpText = "Run the store as a 3-master Redis Cluster instead of one redis-server.")]
    public bool Cluster { get; set; }

    [Option("history", MetaValue = "FILE", HelpText = "Write the recorded history to FILE as JSON (re-judge it with `presence-faults check FILE`), and every service process's output to FILE.logs/.")]
    public string? History { get; set; }

    [Option("users", HelpText = "Judged users (default 300 with --quick, else 2000).")]
    public int? Users { get; set; }

    [Option("subscribers", HelpText = "SSE subscribers (default 24 with --quick, else 200).")]
    public int? Subscribers { get; set; }

    [Option("background", HelpText = "Background users of presence-loadgen --churn on a disjoint id range, not judged (default 2000 with --quick, else 20000; 0: none).")]
    public int? Background { get; set; }

    [Option("no-partition", HelpText = "Skip network partitions even when running as root.")]
    public bool NoPartition { get; set; }

    public int EffectiveSeed { get; set; }

    public int EffectiveDuration => Duration ?? 1800;

    public int EffectiveUsers => Users ?? (Quick ? 300 : 2000);

    public int EffectiveSubscribers => Subscribers ?? (Quick ? 24 : 200);

    public int EffectiveBackground => Background ?? (Quick ? 2000 : 20000);

    /// <summary>A reason the values cannot run, or null.</summary>
    public string? Validate()
    {
        if (Duration is < 10 or > 86_400)
            return $"--duration {Duration} is not 10 … 86400 seconds";
        if (Quick && Duration is not null)
            return "--quick has its own schedule: leave out --duration";
        if (Users is < 10 or > 100_000)
            return $"--users {Users} is not 10 … 100000";
        if (Subscribers is < 1 or > 5_000)
            return $"--subscribers {Subscribers} is not 1 … 5000";
        if (Background is < 0 or > 1_000_000)
            return $"--background {Background} is not 0 … 1000000";
        return null;
    }
}
