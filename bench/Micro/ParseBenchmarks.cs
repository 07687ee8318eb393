using BenchmarkDotNet.Attributes;
using Presence.Core;

namespace Presence.Bench.Micro;

/// <summary>Per-record cost of validating a full UDP frame (91 unsigned records).</summary>
public class ParseBenchmarks
{
    private const int Records = FrameFormat.MaxUdpUnsignedRecords;
    private readonly byte[] _frame = new byte[FrameFormat.MaxUdpFrameSize];
    private int _length;

    [GlobalSetup]
    public void Setup()
    {
        var records = new HeartbeatRecord[Records];
        for (int i = 0; i < Records; i++)
            records[i] = new HeartbeatRecord((ulong)i + 1, 1764270000, (ushort)i, RecordKind.Heartbeat, 0);
        _length = FrameWriter.WriteUnsigned(_frame, records);
    }

    [Benchmark(OperationsPerInvoke = Records)]
    public ulong ParseUnsigned()
    {
        FrameParser.TryParse(_frame.AsSpan(0, _length), out var frame);
        ulong sum = 0;
        for (int i = 0; i < frame.Count; i++)
            sum += frame.UserId(i);
        return sum;
    }
}
