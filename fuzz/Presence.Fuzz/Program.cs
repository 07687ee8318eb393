using System.Globalization;
using SharpFuzz;

namespace Presence.Fuzz;

public static class Program
{
    private const string Usage = """
        presence-fuzz: fuzz targets for the frame parser and the gateway TCP frame reader.
          presence-fuzz libfuzzer TARGET          run under libfuzzer-dotnet (SECURITY.md); TARGET: parse | tcp
          presence-fuzz seed TARGET DIR           write the seed corpus (from vectors.json) into DIR
          presence-fuzz random TARGET [SECONDS]   in-process random mutations of the seeds (no coverage feedback)
          presence-fuzz replay TARGET FILE...     run the target once per file (a crash input, a corpus)
        """;

    public static int Main(string[] args)
    {
        if (args.Length < 2 || !FuzzTargets.All.TryGetValue(args[1], out var target))
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        switch (args[0])
        {
            case "libfuzzer":
                Fuzzer.LibFuzzer.Run(span => target(span));
                return 0;
            case "seed" when args.Length == 3:
                Console.WriteLine($"{SeedCorpus.Write(args[1], args[2], SeedCorpus.DefaultVectors)} seeds written to {args[2]}");
                return 0;
            case "random":
                double seconds = args.Length > 2 ? double.Parse(args[2], CultureInfo.InvariantCulture) : 60;
                var result = RandomRun.Run(target, SeedCorpus.For(args[1], SeedCorpus.DefaultVectors), long.MaxValue, TimeSpan.FromSeconds(seconds), Environment.TickCount);
                Console.WriteLine($"{args[1]}: {result.Executions} executions in {result.Elapsed.TotalSeconds:0.0} s, no finding");
                return 0;
            case "replay" when args.Length > 2:
                foreach (var file in args[2..].SelectMany(p => Directory.Exists(p) ? Directory.GetFiles(p) : [p]))
                    target(File.ReadAllBytes(file));
                Console.WriteLine("no finding");
                return 0;
            default:
                Console.Error.WriteLine(Usage);
                return 2;
        }
    }
}
