using System.Diagnostics;
using System.Globalization;

namespace Presence.Bench.EndToEnd;

/// <summary>
/// The receiver stopped with SIGSTOP (to its process group) until disposed, which sends SIGCONT:
/// use it in a <c>using</c>, so the receiver is never left stopped. <see cref="BeginAsync"/> returns
/// once every thread of the receiver is in the stopped state ('T' in /proc/PID/task/*/stat): the
/// signal is only queued by kill(2), and a thread running on another core stops a moment later.
/// From then on the receiver sends nothing: what the store holds can change only by commands it
/// had already written to its sockets, which <see cref="Store.SettleAsync"/> waits out.
/// </summary>
internal sealed class ReceiverFreeze : IDisposable
{
    private static readonly TimeSpan s_stopTimeout = TimeSpan.FromSeconds(5);
    private readonly Receiver _receiver;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _thawed;

    private ReceiverFreeze(Receiver receiver) => _receiver = receiver;

    /// <summary>Seconds since the freeze began.</summary>
    public double Seconds => _clock.Elapsed.TotalSeconds;

    /// <summary>SIGSTOP, then waits until every thread stopped (throws past 5 s, after SIGCONT).</summary>
    public static async Task<ReceiverFreeze> BeginAsync(Receiver receiver)
    {
        Console.WriteLine($"$ kill -STOP -{receiver.Pid}");
        receiver.Signal(Presence.Testing.Signals.SigStop);
        var freeze = new ReceiverFreeze(receiver);
        try
        {
            var clock = Stopwatch.StartNew();
            while (!AllStopped(receiver.Pid))
            {
                if (clock.Elapsed > s_stopTimeout)
                    throw new TimeoutException($"{Report.Name(receiver.System)} (pid {receiver.Pid}) not stopped {s_stopTimeout.TotalSeconds:0} s after SIGSTOP");
                await Task.Delay(1);
            }
            return freeze;
        }
        catch
        {
            freeze.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _thawed, 1) != 0)
            return;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"$ kill -CONT -{_receiver.Pid}   (stopped {Seconds:0.00} s)"));
        _receiver.Signal(Presence.Testing.Signals.SigCont);
    }

    /// <summary>Every thread of <paramref name="pid"/> in state T (stopped by a signal); a thread that exits meanwhile is skipped.</summary>
    private static bool AllStopped(int pid)
    {
        foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(task, "stat"));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                continue;
            }
            // The state follows the parenthesised command name, which may itself hold spaces or ')'.
            int close = stat.LastIndexOf(')');
            if (close < 0 || close + 2 >= stat.Length || stat[close + 2] != 'T')
                return false;
        }
        return true;
    }
}
