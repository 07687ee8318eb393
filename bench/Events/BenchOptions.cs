using System.Globalization;

namespace Presence.Bench.Events;

/// <summary>The benchmark's command line: every default written here, checked with a one-line reason.</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        presence-events-bench: the presence-events benchmark (docs/PERFORMANCE.md, "Presence events").

        dotnet run -c Release --project bench/Events -- [options]

          --quick              a short configuration that proves the harness works (defaults below in [ ])
          --users N            online users of the events run, heartbeating every 10 s (1000000 [100000])
          --churn F            share of them churning: 45 s active, 45 s silent, half signing out (0.01)
          --subscribers N      event streams on the one query node (10000 [1000])
          --watch N            ids each stream watches, consecutive blocks, so every user is watched (100)
          --duration S         seconds of the measured steady window of the events run (120 [45])
          --repeat N           runs of each kind; medians are reported (3 [1])
          --cost-users N       users of the heartbeat-path A/B, --events off vs on (1000000 [200000])
          --cost-window S      measured seconds of each A/B run, after --cost-warmup (30 [10])
          --cost-warmup S      seconds before the A/B window: every user online, the online burst appended (20 [15])
          --phases LIST        cost,events,groups,log: which parts to run (cost,events)
          --log-nodes LIST     log: query nodes following the log, one run each (1,4)
          --log-online N       log: users the log's online set holds (1000000 [200000])
          --log-appenders N    log: appenders, each one Append call of 100 transitions in flight (2)
          --log-window S       log: measured seconds of each run (20 [10])
          --log-listpack N     log: the store's hash-max-listpack-entries for the runs (0: leave Redis' own, 512 on Debian)
          --store-args "ARGS"  redis-server's options beyond the benchmark's own ("--list-compress-depth 1", as
                               REDIS.md sets Redis up; "" for Redis' defaults)
          --big-group N        groups: members of the one large group, one stream on it (100000 [20000])
          --groups N           groups: groups of --group-size members, one stream each (1000 [200])
          --group-size N       groups: members of each of those groups (100)
          --connect-at-once N  subscribers connecting at the same time (64)

        log: how many transitions a second one store node's events log takes (every events key shares one hash
        tag, so one master holds it under a cluster): --log-appenders appenders call the log's Append script as
        ingesters do (50 onlines and 50 offlines a call, the online set kept at --log-online users), as fast as
        the store answers, while each of --log-nodes query nodes follows the log; redis-server's CPU per transition,
        the nodes' CPU and how far their feeds fall behind.

        groups: the events run's load (--users, --churn) with one stream on a group of --big-group members
        beside one id stream (POST) of the same ids, then --groups streams on groups of --group-size members
        beside as many id streams of the same ids; each side on a fresh presence-query of its own (--admin-keys:
        the groups are written through PUT /v1/groups/{name}), a --duration window each pair.
        The members are blocks of --group-size consecutive ids spread evenly over the users (1M users: ids
        1-100, 1001-1100, …), so they churn as all users do, spread over the churn period.

        Everything runs on 127.0.0.1: its own redis-server on a free port (no persistence), presence-ingest
        (--ttl 30), presence-query and presence-loadgen, built by `dotnet run -c Release` beside this program.
        Every process is stopped at the end, also when the benchmark fails or is interrupted.
        """;

    public bool Quick { get; private init; }
    public int Users { get; private init; }
    public double Churn { get; private init; }
    public int Subscribers { get; private init; }
    public int Watch { get; private init; }
    public int Duration { get; private init; }
    public int Repeat { get; private init; }
    public int CostUsers { get; private init; }
    public int CostWindow { get; private init; }
    public int CostWarmup { get; private init; }
    public bool RunCost { get; private init; }
    public bool RunEvents { get; private init; }
    public bool RunGroups { get; private init; }
    public int BigGroup { get; private init; }
    public int Groups { get; private init; }
    public int GroupSize { get; private init; }
    public int ConnectAtOnce { get; private init; }
    public bool RunLog { get; private init; }
    public int[] LogNodes { get; private init; } = [];
    public int LogOnline { get; private init; }
    public int LogAppenders { get; private init; }
    public int LogWindow { get; private init; }
    public int LogListpack { get; private init; }
    public string[] StoreArgs { get; private init; } = [];

    /// <summary>Heartbeat interval of every run (the seed workload's).</summary>
    public const int Interval = 10;

    /// <summary>The ingester's ttl (the spec's default).</summary>
    public const int Ttl = 30;

    /// <summary>The churning users' active and silent periods (presence-loadgen's defaults).</summary>
    public const int ChurnActive = 45;
    public const int ChurnSilent = 45;
    public const double ChurnSignOut = 0.5;

    /// <summary>
    /// Seconds after the generator starts from which every kind of transition comes at its steady
    /// rate: a churning user active at the start falls silent within one active period, and times
    /// out ttl (plus up to one interval) later.
    /// </summary>
    public const int SteadyAfter = ChurnActive + Ttl + Interval;

    /// <summary>Parses the arguments; null after printing the reason (or the help) when there is nothing to run.</summary>
    public static BenchOptions? Parse(string[] args, out int exitCode)
    {
        exitCode = 0;
        if (args.Contains("--help") || args.Contains("-h"))
        {
            Console.WriteLine(Usage);
            return null;
        }
        var known = new HashSet<string> { "--quick", "--users", "--churn", "--subscribers", "--watch", "--duration", "--repeat",
            "--cost-users", "--cost-window", "--cost-warmup", "--phases", "--connect-at-once", "--big-group", "--groups", "--group-size",
            "--log-nodes", "--log-online", "--log-appenders", "--log-window", "--log-listpack", "--store-args" };
        bool quick = args.Contains("--quick");
        try
        {
            for (int i = 0; i < args.Length; i++)
            {
                if (!known.Contains(args[i]))
                    throw new FormatException($"unknown argument '{args[i]}'");
                if (args[i] != "--quick" && (++i >= args.Length || (args[i].StartsWith("--", StringComparison.Ordinal) && args[i - 1] != "--store-args")))
                    throw new FormatException($"{args[i - 1]} needs a value");
            }
            string? Value(string name)
            {
                int i = Array.IndexOf(args, name);
                return i >= 0 ? args[i + 1] : null;
            }
            int Int(string name, int full, int quickValue, int min, int max)
            {
                string text = Value(name) ?? (quick ? quickValue : full).ToString(CultureInfo.InvariantCulture);
                if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
                    throw new FormatException($"{name}: '{text}' is not a whole number {min} … {max}");
                return v;
            }
            string churnText = Value("--churn") ?? "0.01";
            if (!double.TryParse(churnText, NumberStyles.Float, CultureInfo.InvariantCulture, out double churn) || churn is <= 0 or > 1)
                throw new FormatException($"--churn: '{churnText}' is not a share above 0, at most 1");
            var phases = (Value("--phases") ?? "cost,events").Split(',');
            if (phases.Length == 0 || phases.Any(p => p is not ("cost" or "events" or "groups" or "log")))
                throw new FormatException($"--phases: '{string.Join(',', phases)}' is not a list of cost, events, groups and log");
            string logNodesText = Value("--log-nodes") ?? "1,4";
            var logNodes = new List<int>();
            foreach (var part in logNodesText.Split(','))
            {
                if (!int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int n) || n > 16)
                    throw new FormatException($"--log-nodes: '{logNodesText}' is not a list of whole numbers 0 … 16");
                logNodes.Add(n);
            }
            var options = new BenchOptions
            {
                Quick = quick,
                Users = Int("--users", 1_000_000, 100_000, 1_000, 10_000_000),
                Churn = churn,
                Subscribers = Int("--subscribers", 10_000, 1_000, 1, 50_000),
                Watch = Int("--watch", 100, 100, 1, 1_000),
                Duration = Int("--duration", 120, 45, 10, 3_600),
                Repeat = Int("--repeat", 3, 1, 1, 9),
                CostUsers = Int("--cost-users", 1_000_000, 200_000, 1_000, 10_000_000),
                CostWindow = Int("--cost-window", 30, 10, 5, 600),
                CostWarmup = Int("--cost-warmup", 20, 15, Interval, 600),
                RunCost = phases.Contains("cost"),
                RunEvents = phases.Contains("events"),
                RunGroups = phases.Contains("groups"),
                BigGroup = Int("--big-group", 100_000, 20_000, 1, 10_000_000),
                Groups = Int("--groups", 1_000, 200, 1, 10_000),
                GroupSize = Int("--group-size", 100, 100, 1, 100_000),
                ConnectAtOnce = Int("--connect-at-once", 64, 64, 1, 10_000),
                RunLog = phases.Contains("log"),
                LogNodes = [.. logNodes],
                LogOnline = Int("--log-online", 1_000_000, 200_000, 10_000, 100_000_000),
                LogAppenders = Int("--log-appenders", 2, 2, 1, 16),
                LogWindow = Int("--log-window", 20, 10, 5, 600),
                LogListpack = Int("--log-listpack", 0, 0, 0, 100_000),
                StoreArgs = (Value("--store-args") ?? "--list-compress-depth 1").Split(' ', StringSplitOptions.RemoveEmptyEntries),
            };
            if (options.Watch > options.Users)
                throw new FormatException($"--watch {options.Watch} is more than --users {options.Users}");
            if (options.RunGroups && options.BigGroup > options.Users)
                throw new FormatException($"--big-group {options.BigGroup} is more than --users {options.Users}");
            if (options.RunGroups && (long)options.Groups * options.GroupSize > options.Users)
                throw new FormatException($"--groups {options.Groups} × --group-size {options.GroupSize} is more than --users {options.Users}");
            return options;
        }
        catch (FormatException e)
        {
            Console.Error.WriteLine($"presence-events-bench: {e.Message} (see --help)");
            exitCode = 2;
            return null;
        }
    }

    /// <summary>
    /// Seconds the whole benchmark takes, roughly: start-ups and stops, the online burst of each
    /// start appended (about 10,000 lines a second measured here), the subscribers connecting (about
    /// 250 a second), the windows, and the wait for delivery.
    /// </summary>
    public int EstimatedSeconds()
    {
        int costOff = CostWarmup + CostWindow + 15;
        int costOn = CostWarmup + CostUsers / 10_000 + CostWindow + 15;
        int cost = RunCost ? Repeat * (costOff + costOn) : 0;
        int eventsRun = Math.Max(SteadyAfter, 15 + Users / 10_000 + Subscribers / 250) + Duration + 45;
        int events = RunEvents ? Repeat * eventsRun : 0;
        // Groups: the start's burst, the groups written, then two pairs on fresh nodes (start-ups, a few snapshots, the streams, the window, the drain).
        int groupParts = (40 + 6 * (1 + BigGroup / 50_000) + Duration) + (40 + 2 * Groups / 250 + Duration);
        int groups = RunGroups ? Repeat * (Math.Max(SteadyAfter, 15 + Users / 10_000 + 10 + BigGroup / 50_000 + Groups / 100) + groupParts) : 0;
        // Log: the online set filled (~150K transitions/s), each node's start, a few seconds of mix, the window, the catch-up.
        int log = RunLog ? Repeat * LogNodes.Sum(n => LogOnline / 150_000 + 5 * n + 3 + LogWindow + 10) : 0;
        return cost + events + groups + log;
    }
}
