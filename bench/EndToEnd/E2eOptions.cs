using System.Globalization;

namespace Presence.Bench.EndToEnd;

/// <summary>The command line of presence-e2e; <see cref="Parse"/> prints a one-line reason and returns null when it is wrong.</summary>
internal sealed class E2eOptions
{
    public const string Usage =
        "presence-e2e [--quick] [--parts ladder,seed,overload] [--systems presence,baseline] [--duration S] [--repeat N]\n" +
        "             [--per-frame K] [--rates LIST | --presence-rates LIST --baseline-rates LIST] [--refine N]\n" +
        "             [--slack-ms MS] [--judge stop,drained] [--flood-seconds S] [--ingest-args \"ARGS\"] [--store-args \"ARGS\"]\n" +
        "             [--log-wait S] [--chart FILE]\n" +
        "  --store-args  redis-server's options beyond the test fixture's (default \"--list-compress-depth 1\", as REDIS.md\n" +
        "            sets Redis up; \"\" for Redis' own defaults)\n" +
        "  --judge   when each user's latest heartbeat is judged (default both): stop = at the moment sending stopped,\n" +
        "            the receiver frozen (SIGSTOP) a second after the last send while every key is read (sustained:\n" +
        "            did it keep up?); drained = after it drained (late is not lost). The ladder climbs until a point\n" +
        "            fails every judgement given and reports the highest rate passing each; drained alone runs\n" +
        "            no freeze (the method before at-stop judging).\n" +
        "  --log-wait  after each drained presence-ingest run, wait up to S s for the events log to take what the\n" +
        "            ingester still holds for it (presence_event_log_backlog 0) and print how long (default 180; 0: no wait)";

    private static readonly string[] s_known =
    [
        "--quick", "--parts", "--systems", "--duration", "--repeat", "--per-frame", "--rates", "--presence-rates", "--baseline-rates",
        "--refine", "--slack-ms", "--judge", "--flood-seconds", "--ingest-args", "--store-args", "--chart",
        "--log-wait",
    ];

    private static readonly string[] s_flags = ["--quick"];

    public bool Quick { get; private init; }
    public bool Ladder { get; private init; }
    public bool Seed { get; private init; }
    public bool Overload { get; private init; }
    public int Duration { get; private init; }
    public int Interval { get; private init; }
    public int Repeat { get; private init; }
    public int PerFrame { get; private init; }
    public SystemKind[] Systems { get; private init; } = [];
    public int[] PresenceRates { get; private init; } = [];
    public int[] BaselineRates { get; private init; } = [];
    public int Refine { get; private init; }
    public int SlackMs { get; private init; }

    /// <summary>--judge: when runs are judged, at stop first (default both).</summary>
    public Judgement[] Judgements { get; private init; } = [Judgement.AtStop, Judgement.Drained];

    /// <summary>Whether runs freeze the receiver when sending stops and judge its users then.</summary>
    public bool JudgeAtStop => Judgements.Contains(Judgement.AtStop);
    public int FloodSeconds { get; private init; }
    public string[] IngestArgs { get; private init; } = [];
    public string[] StoreArgs { get; private init; } = [];
    public string Chart { get; private init; } = "docs/e2e-loss.svg";

    /// <summary>--log-wait: seconds a drained presence run waits for the events log's backlog to reach 0 (0: none).</summary>
    public int LogWaitSeconds { get; private init; }

    /// <summary>Seed workload: 1M users × 10 s for 60 s (the quick pass: 20 s), one heartbeat a datagram as devices send.</summary>
    public int SeedDuration => Quick ? 20 : 60;

    /// <summary>Seconds the capacity probe writes, each time.</summary>
    public int ProbeSeconds => Quick ? 4 : 10;

    /// <summary>SETs redis-benchmark sends each time (at ~1M/s on a quiet 2-core box: ~5 s).</summary>
    public int BenchmarkRequests => Quick ? 2_000_000 : 5_000_000;

    public int[] RatesOf(SystemKind system) => system == SystemKind.Presence ? PresenceRates : BaselineRates;

    public static E2eOptions? Parse(string[] args)
    {
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                if (!s_known.Contains(args[i]))
                    throw new FormatException($"unknown argument '{args[i]}'");
                if (!s_flags.Contains(args[i]) && ++i >= args.Length)
                    throw new FormatException($"{args[i - 1]} needs a value");
            }
            string? Value(string name)
            {
                int i = Array.IndexOf(args, name);
                return i >= 0 ? args[i + 1] : null;
            }
            int Int(string name, int fallback, int min, int max)
            {
                string? text = Value(name);
                if (text is null)
                    return fallback;
                if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
                    throw new FormatException($"{name}: '{text}' is not a whole number {min} … {max}");
                return v;
            }
            int[] Rates(string name, string fallback)
            {
                string text = Value(name) ?? Value("--rates") ?? fallback;
                var rates = text.Split(',').Select(r =>
                    int.TryParse(r, NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) && v >= 100 && v <= 10_000_000
                        ? v : throw new FormatException($"{name}: '{r}' is not a rate of 100 … 10,000,000 heartbeats/s")).ToArray();
                return [.. rates.Distinct().Order()];
            }

            bool quick = args.Contains("--quick");
            int duration = Int("--duration", quick ? 8 : 30, 2, 3600);
            var parts = (Value("--parts") ?? "ladder,seed,overload").Split(',');
            foreach (var part in parts)
            {
                if (part is not ("ladder" or "seed" or "overload"))
                    throw new FormatException($"--parts: unknown part '{part}' (ladder, seed, overload)");
            }
            var systems = (Value("--systems") ?? "presence,baseline").Split(',')
                .Select(s => s switch
                {
                    "presence" => SystemKind.Presence,
                    "baseline" => SystemKind.Baseline,
                    _ => throw new FormatException($"--systems: unknown system '{s}' (presence, baseline)"),
                }).Distinct().ToArray();
            var judgements = (Value("--judge") ?? "stop,drained").Split(',')
                .Select(j => j switch
                {
                    "stop" => Judgement.AtStop,
                    "drained" => Judgement.Drained,
                    _ => throw new FormatException($"--judge: unknown judgement '{j}' (stop, drained)"),
                }).Distinct().Order().ToArray();
            return new E2eOptions
            {
                Quick = quick,
                Ladder = parts.Contains("ladder"),
                Seed = parts.Contains("seed"),
                Overload = parts.Contains("overload"),
                Duration = duration,
                // Every user must heartbeat at least once, and its last heartbeat is what the check
                // judges, so the interval never exceeds half the run: the quick run (8 s) uses 4 s.
                Interval = Math.Min(10, Math.Max(1, duration / 2)),
                Repeat = Int("--repeat", quick ? 1 : 3, 1, 99),
                PerFrame = Int("--per-frame", 8, 1, 91),
                Systems = systems,
                PresenceRates = Rates("--presence-rates", quick ? "100000,400000,800000" : "100000,200000,300000,400000,500000,600000,800000,1000000"),
                BaselineRates = Rates("--baseline-rates", quick ? "10000,40000,80000" : "10000,20000,30000,40000,60000,80000,100000,120000,160000"),
                Refine = Int("--refine", quick ? 1 : 2, 0, 10),
                SlackMs = Int("--slack-ms", 25, 0, 10_000),
                Judgements = judgements,
                FloodSeconds = Int("--flood-seconds", quick ? 10 : 20, 8, 600),
                IngestArgs = (Value("--ingest-args") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries),
                StoreArgs = (Value("--store-args") ?? "--list-compress-depth 1").Split(' ', StringSplitOptions.RemoveEmptyEntries),
                Chart = Value("--chart") ?? "docs/e2e-loss.svg",
                LogWaitSeconds = Int("--log-wait", 180, 0, 3600),
            };
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"presence-e2e: {e.Message}");
            Console.Error.WriteLine(Usage);
            return null;
        }
    }
}
