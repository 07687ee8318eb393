using Presence.Bench.Faults.Checking;
using Presence.Bench.Faults.History;

namespace Presence.Bench.Faults.Run;

/// <summary>Judges a history with the checker and prints the outcome; returns the exit code (1 on any violation).</summary>
internal static class Judge
{
    public static int Run(RunHistory history, IReadOnlyList<string> notes)
    {
        Console.WriteLine();
        Console.WriteLine("== recorded");
        Console.WriteLine($"stream sessions by how they were opened: {string.Join(", ", history.Sessions.GroupBy(s => s.Resume).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}"))}; "
            + $"ended: {string.Join(", ", history.Sessions.GroupBy(s => s.EndReason ?? "open at the end").OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"))}");
        var debounced = history.Sessions.Where(s => s.Debounced).ToList();
        if (debounced.Count > 0)
        {
            var resumes = debounced.Where(s => s.Resume == ResumeKind.Resume && s.Items.Count > 0).ToList();
            int inPlace = resumes.Count(s => s.Items[0].Kind != StreamItemKind.Snapshot);
            Console.WriteLine($"debounced sessions: {debounced.Count:N0} of {history.Sessions.Count:N0} (debounce {string.Join(", ", debounced.Select(s => s.Debounce).Distinct().Order())} s); "
                + $"of their {resumes.Count:N0} resumes with items, {inPlace:N0} served after the id by the node that sent it, {resumes.Count - inPlace:N0} answered with a snapshot");
        }
        Console.WriteLine($"events log: {history.Log.Count:N0} lines read in {history.Coverage.Count} epoch(s); heartbeats sent: {history.Heartbeats.Count(h => h.Kind == HeartbeatKind.SignOut):N0} of them sign-outs");
        foreach (var fault in history.Faults)
            Console.WriteLine($"fault {fault.Kind,-20} {fault.Target,-18} +{(fault.StartMs - history.Info.StartedMs) / 1000.0,6:0.0} s, whole again after {(fault.EndMs - fault.StartMs) / 1000.0:0.0} s");
        foreach (var note in notes)
            Console.WriteLine($"note: {note}");
        Console.WriteLine();
        Console.WriteLine("== check");
        var report = HistoryChecker.Check(history, new CheckOptions());
        report.Print(Console.Out);
        return report.Passed ? 0 : 1;
    }
}
