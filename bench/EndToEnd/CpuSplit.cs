namespace Presence.Bench.EndToEnd;

/// <summary>Cores each process used over a run's sending period; Others is the rest of the machine (other people's work).</summary>
internal readonly record struct CpuSplit(double Receiver, double Redis, double LoadGen, double Others)
{
    public double Ours => Receiver + Redis + LoadGen;
}
