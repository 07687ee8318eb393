using System.Diagnostics;

namespace Presence.Fuzz;

/// <summary>
/// A bounded, in-process run of a target over the seeds and random mutations of them: no
/// coverage feedback (that is libFuzzer's part), but cheap enough for the test command.
/// Mutations aim at what the parsers judge: header bytes, the count field, lengths.
/// </summary>
public static class RandomRun
{
    public sealed record Result(long Executions, TimeSpan Elapsed);

    /// <summary>Runs until <paramref name="executions"/> inputs or <paramref name="budget"/>, whichever first; a finding throws with the input in hex.</summary>
    public static Result Run(Action<ReadOnlySpan<byte>> target, IReadOnlyList<byte[]> seeds, long executions, TimeSpan budget, int seed)
    {
        var rnd = new Random(seed);
        var clock = Stopwatch.StartNew();
        long n = 0;
        foreach (var s in seeds)
        {
            Execute(target, s);
            n++;
        }
        var input = new List<byte>(4096);
        while (n < executions && clock.Elapsed < budget)
        {
            input.Clear();
            input.AddRange(seeds[rnd.Next(seeds.Count)]);
            int mutations = 1 + rnd.Next(4);
            for (int m = 0; m < mutations; m++)
                Mutate(input, rnd, seeds);
            Execute(target, input.ToArray());
            n++;
        }
        return new Result(n, clock.Elapsed);
    }

    private static void Execute(Action<ReadOnlySpan<byte>> target, byte[] input)
    {
        try
        {
            target(input);
        }
        catch (Exception e)
        {
            throw new InvalidOperationException($"Fuzz finding on input {Convert.ToHexString(input)}", e);
        }
    }

    private static void Mutate(List<byte> input, Random rnd, IReadOnlyList<byte[]> seeds)
    {
        int at = input.Count == 0 ? 0 : rnd.Next(input.Count);
        switch (rnd.Next(8))
        {
            case 0 when input.Count > 0: input[at] ^= (byte)(1 << rnd.Next(8)); break;
            case 1 when input.Count > 0: input[at] = (byte)rnd.Next(256); break;
            case 2: input.Insert(at, (byte)rnd.Next(256)); break;
            case 3 when input.Count > 0: input.RemoveRange(at, Math.Min(input.Count - at, 1 + rnd.Next(32))); break;
            case 4 when input.Count > 0: input.RemoveRange(at, input.Count - at); break; // truncate
            case 5: input.AddRange(seeds[rnd.Next(seeds.Count)]); break; // splice: frames back to back
            case 6 when input.Count > 6: // the count field (bytes 4-5) to an edge value
                ushort[] edges = [0, 1, 2, 90, 91, 92, 4095, 4096, 4097, 0xFFFF];
                ushort c = edges[rnd.Next(edges.Length)];
                input[4] = (byte)(c >> 8);
                input[5] = (byte)c;
                break;
            case 7 when input.Count > 3: input[3] = (byte)rnd.Next(4); break; // flags
            default: input.Add((byte)rnd.Next(256)); break;
        }
    }
}
