using BenchmarkDotNet.Running;

namespace Presence.Bench.Micro;

public static class Program
{
    /// <summary>
    /// <c>flush …</c> runs the store-flush throughput comparison (<see cref="FlushThroughput"/>);
    /// anything else goes to BenchmarkDotNet (e.g. <c>--filter '*'</c>).
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "flush")
            return await FlushThroughput.RunAsync(args[1..]);
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, BenchConfig.Create());
        return 0;
    }
}
