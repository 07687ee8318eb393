using Presence.Testing;

namespace Presence.Bench.EndToEnd;

/// <summary>
/// CPU of the receiver and redis-server (from /proc/PID/stat), and of the whole machine (/proc/stat),
/// between <see cref="Start"/> and <see cref="Stop"/>; what the generator used is given at the stop
/// (it is measured around its own life). Others = the machine's busy time less ours and this
/// harness' own: on a shared machine, what other people's work took meanwhile.
/// </summary>
internal sealed class CpuMeter
{
    private readonly int _receiverPid;
    private readonly int _redisPid;
    private readonly double _receiver;
    private readonly double _redis;
    private readonly double _machine;
    private readonly double _self;
    private readonly Dictionary<int, (string Name, double Seconds)> _threads;
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    private CpuMeter(int receiverPid, int redisPid)
    {
        _receiverPid = receiverPid;
        _redisPid = redisPid;
        _receiver = ProcStat.CpuSeconds(receiverPid);
        _redis = ProcStat.CpuSeconds(redisPid);
        _machine = ProcStat.MachineBusySeconds();
        _self = ProcStat.SelfCpuSeconds();
        _threads = ProcStat.ThreadCpuSeconds(receiverPid);
    }

    /// <summary>
    /// After <see cref="Stop"/>: the receiver's cores by thread name (numbers dropped, so the thread
    /// pool's workers add up), largest first; "exited threads" is what threads that ended meanwhile used.
    /// </summary>
    public string ReceiverThreads { get; private set; } = "";

    public static CpuMeter Start(int receiverPid, int redisPid) => new(receiverPid, redisPid);

    /// <param name="loadGenCores">The generator's cores over its life (about this period).</param>
    public CpuSplit Stop(double loadGenCores)
    {
        double seconds = _clock.Elapsed.TotalSeconds;
        double receiver = (ProcStat.CpuSeconds(_receiverPid) - _receiver) / seconds;
        double redis = (ProcStat.CpuSeconds(_redisPid) - _redis) / seconds;
        double machine = (ProcStat.MachineBusySeconds() - _machine) / seconds;
        double self = (ProcStat.SelfCpuSeconds() - _self) / seconds;
        var byName = new Dictionary<string, double>();
        double threads = 0;
        foreach (var (tid, (name, cpu)) in ProcStat.ThreadCpuSeconds(_receiverPid))
        {
            double used = (cpu - (_threads.TryGetValue(tid, out var before) ? before.Seconds : 0)) / seconds;
            string key = name.TrimEnd('0', '1', '2', '3', '4', '5', '6', '7', '8', '9').TrimEnd('-', ' ', '#');
            byName[key] = byName.GetValueOrDefault(key) + used;
            threads += used;
        }
        if (receiver - threads > 0.005)
            byName["exited threads"] = receiver - threads;
        ReceiverThreads = string.Join(", ", byName.Where(kv => kv.Value >= 0.005).OrderByDescending(kv => kv.Value)
            .Select(kv => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{kv.Key} {kv.Value:0.00}")));
        return new CpuSplit(receiver, redis, loadGenCores, Math.Max(0, machine - receiver - redis - loadGenCores - self));
    }
}
