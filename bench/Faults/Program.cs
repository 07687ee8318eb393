using System.Runtime.InteropServices;
using Presence.Bench.Faults.Run;
using Presence.Testing;

// presence-faults: the whole system under a seeded schedule of faults, its history judged (docs/FAULTS.md).
//
//   dotnet run -c Release --project bench/Faults -- [--quick] [--seed N] [--duration S] [--cluster] [--history FILE]
//   presence-faults check FILE      re-judges a saved history
//
// Exit 0: no violation; 1: a violation, or the run itself failed (one line says why); 2: a bad command line.

if (args.Length > 0 && args[0] == "check")
{
    if (args.Length == 2 && args[1] is "--help" or "-h")
    {
        return FaultsCommandLine.Parse(["--help"], out int helpExit) is null ? helpExit : 0;
    }
    if (args.Length != 2 || args[1].StartsWith('-'))
    {
        return FaultsCommandLine.Usage("check needs one FILE, and takes no option");
    }
    try
    {
        var saved = HistoryFile.Read(args[1]);
        return Judge.Run(saved, notes: []);
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException or InvalidDataException)
    {
        Console.Error.WriteLine($"presence-faults: cannot read {args[1]}: {e.Message}");
        return 1;
    }
}

var options = FaultsCommandLine.Parse(args, out int exitCode);
if (options is null)
    return exitCode;
options.EffectiveSeed = options.Seed ?? (options.Quick ? FaultsOptions.QuickSeed : Random.Shared.Next(1, int.MaxValue));

using var interrupt = new CancellationTokenSource();
// The first SIGINT, SIGTERM or SIGHUP unwinds the run, which stops what it started; a second kills them at once.
void OnSignal(PosixSignalContext context)
{
    context.Cancel = true;
    if (interrupt.IsCancellationRequested)
    {
        FaultRun.CleanUp();
        Environment.Exit(130);
    }
    Console.Error.WriteLine($"presence-faults: {context.Signal}; stopping what it started (again to kill at once)");
    interrupt.Cancel();
}
using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
using var onHup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, OnSignal);
AppDomain.CurrentDomain.ProcessExit += (_, _) => FaultRun.CleanUp();
ChildProcess.CommandLog = Console.Out; // every command the run starts is printed

string command = "presence-faults " + string.Join(' ', args);
Console.WriteLine("== presence-faults");
Console.WriteLine($"machine: nproc {Environment.ProcessorCount}, kernel {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}, .NET {Environment.Version}, load average {Machine.LoadAverages()}");
Console.WriteLine($"command: {command}");
Console.WriteLine($"seed: {options.EffectiveSeed} (replay: --seed {options.EffectiveSeed}{(options.Quick ? " --quick" : "")}{(options.Cluster ? " --cluster" : "")})");
Console.WriteLine($"store: {(options.Cluster ? "3-master Redis Cluster" : "one redis-server")}; {options.EffectiveUsers} judged users, {options.EffectiveSubscribers} subscribers ({Enumerable.Range(0, options.EffectiveSubscribers).Count(i => FaultRun.DebounceOf(i) > 0)} of them debounced, 1-3 s), {options.EffectiveBackground} background users; {(options.Quick ? "quick schedule" : $"{options.EffectiveDuration} s of faults")}");
Console.WriteLine();

var run = new FaultRun(options, AppContext.BaseDirectory, interrupt.Token);
Presence.Bench.Faults.History.RunHistory history;
var clock = System.Diagnostics.Stopwatch.StartNew();
try
{
    history = await run.RunAsync();
}
catch (OperationCanceledException) when (interrupt.IsCancellationRequested)
{
    Console.Error.WriteLine("presence-faults: interrupted");
    return 130;
}
catch (Exception e)
{
    Console.Error.WriteLine(e);
    Console.WriteLine($"FAILED: the run itself failed after {clock.Elapsed.TotalSeconds:0} s: {e.GetType().Name}: {string.Join(" / ", e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Take(3))}");
    return 1;
}
Console.WriteLine($"run: {clock.Elapsed.TotalSeconds:0.0} s wall clock");
if (options.Quick && clock.Elapsed > TimeSpan.FromSeconds(90))
    run.Notes.Add($"the quick run took {clock.Elapsed.TotalSeconds:0} s, over its 90 s budget (a loaded machine?)");
if (options.History is not null)
{
    HistoryFile.Write(options.History, history);
    Console.WriteLine($"history written to {options.History} (re-judge: presence-faults check {options.History})");
}
return Judge.Run(history, run.Notes);
