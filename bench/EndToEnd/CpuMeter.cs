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
    private readonly System.Diagnostics.Stopwatch _clock = System.Diagnostics.Stopwatch.StartNew();

    private CpuMeter(int receiverPid, int redisPid)
    {
        _receiverPid = receiverPid;
        _redisPid = redisPid;
        _receiver = ProcStat.CpuSeconds(receiverPid);
        _redis = ProcStat.CpuSeconds(redisPid);
        _machine = ProcStat.MachineBusySeconds();
        _self = ProcStat.SelfCpuSeconds();
    }

    public static CpuMeter Start(int receiverPid, int redisPid) => new(receiverPid, redisPid);

    /// <param name="loadGenCores">The generator's cores over its life (about this period).</param>
    public CpuSplit Stop(double loadGenCores)
    {
        double seconds = _clock.Elapsed.TotalSeconds;
        double receiver = (ProcStat.CpuSeconds(_receiverPid) - _receiver) / seconds;
        double redis = (ProcStat.CpuSeconds(_redisPid) - _redis) / seconds;
        double machine = (ProcStat.MachineBusySeconds() - _machine) / seconds;
        double self = (ProcStat.SelfCpuSeconds() - _self) / seconds;
        return new CpuSplit(receiver, redis, loadGenCores, Math.Max(0, machine - receiver - redis - loadGenCores - self));
    }
}
