using CommandLine;

namespace Presence.Demo;

/// <summary>presence-demo's options; every default is written here.</summary>
public sealed class DemoOptions
{
    [Option("users", Default = 200_000, HelpText = "Simulated users.")]
    public int Users { get; set; } = 200_000;

    [Option("duration", Default = 30, HelpText = "Seconds of heartbeats.")]
    public int Duration { get; set; } = 30;

    [Option("interval", Default = 10, HelpText = "Seconds between a user's heartbeats.")]
    public int Interval { get; set; } = 10;

    [Option("per-frame", Default = 1, HelpText = "Records per frame (a gateway packs many).")]
    public int PerFrame { get; set; } = 1;

    [Option("short", Default = false, HelpText = "A quick run: 10,000 users for 5 seconds (what CI runs).")]
    public bool Short { get; set; }

    [Option("signed", Default = false, HelpText = "Sign every heartbeat: a master key file is generated and given to the ingest and the load generator.")]
    public bool Signed { get; set; }

    [Option("redis", HelpText = "Use this Redis (StackExchange.Redis configuration string) instead of the embedded store. Also read from $PRESENCE_REDIS.")]
    public string? Redis { get; set; }

    public void ApplyShort()
    {
        if (!Short)
            return;
        Users = 10_000;
        Duration = 5;
        Interval = 2;
    }

    public string? Validate() =>
        Users < 1 ? "--users must be at least 1"
        : Duration < 1 ? "--duration must be at least 1"
        : Interval < 1 ? "--interval must be at least 1"
        : PerFrame is < 1 or > 45 ? "--per-frame must be 1..45"
        : null;
}
