using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Presence.Testing;

namespace Presence.Bench.EndToEnd;

/// <summary>
/// One presence-loadgen process: started, waited for, its JSON summary read, and its CPU taken from
/// getrusage of reaped children around its life (nothing else is reaped meanwhile).
/// </summary>
internal sealed class LoadGenRun
{
    private readonly ChildProcess _child;
    private readonly double _reapedBefore;
    private readonly Stopwatch _clock;
    private readonly int _timeoutSeconds;

    private LoadGenRun(ChildProcess child, double reapedBefore, int timeoutSeconds)
    {
        _child = child;
        _reapedBefore = reapedBefore;
        _clock = Stopwatch.StartNew();
        _timeoutSeconds = timeoutSeconds;
    }

    /// <summary>Heartbeat records sent.</summary>
    public long RecordsSent { get; private set; }

    /// <summary>Records per second over its heartbeat phase.</summary>
    public double RecordsPerSecond { get; private set; }

    /// <summary>Frames the kernel refused (counted, not sent).</summary>
    public long Errors { get; private set; }

    public ulong FirstId { get; private set; } = 1;

    /// <summary>Cores it used over its life (start to exit, .NET start-up included).</summary>
    public double Cores { get; private set; }

    /// <summary>Seconds from start to exit.</summary>
    public double Seconds { get; private set; }

    public bool HasExited => _child.HasExited;

    /// <param name="rateCap">Frames/s cap (--rate), or null for the schedule's own rate.</param>
    /// <param name="lastSent">File for --last-sent, or null.</param>
    public static LoadGenRun Start(Binaries bins, int udpPort, int users, int interval, int duration, int perFrame, double? rateCap, string? lastSent)
    {
        var args = new List<string>
        {
            bins.LoadGen, "--target", $"127.0.0.1:{udpPort}", "--users", Inv(users), "--interval", Inv(interval),
            "--duration", Inv(duration), "--per-frame", Inv(perFrame), "--json",
        };
        if (rateCap is { } cap)
            args.AddRange(["--rate", Inv(cap)]);
        if (lastSent is not null)
            args.AddRange(["--last-sent", lastSent]);
        double before = ProcStat.ReapedChildrenCpuSeconds();
        return new LoadGenRun(ChildProcess.StartFile("presence-loadgen", "dotnet", [.. args]), before, duration + 120);
    }

    public Task WaitAsync(CancellationToken cancel) => _child.WaitForExitAsync(cancel);

    /// <summary>Waits for it to exit (killing it past its time) and reads its summary.</summary>
    public async Task FinishAsync()
    {
        try
        {
            await _child.WaitForExitAsync(TimeSpan.FromSeconds(_timeoutSeconds)); // its output read to the end
        }
        catch (TimeoutException e)
        {
            _child.Dispose();
            throw new InvalidOperationException("presence-loadgen did not finish", e);
        }
        Seconds = _clock.Elapsed.TotalSeconds;
        Cores = (ProcStat.ReapedChildrenCpuSeconds() - _reapedBefore) / Seconds;
        if (_child.ExitCode != 0)
            throw new InvalidOperationException($"presence-loadgen exited {_child.ExitCode}:\n{_child.Tail()}");
        using var summary = JsonDocument.Parse(_child.Stdout);
        var root = summary.RootElement;
        RecordsSent = root.GetProperty("recordsSent").GetInt64();
        RecordsPerSecond = root.GetProperty("recordsPerSecond").GetDouble();
        Errors = root.GetProperty("errors").GetInt64();
        // Ids are JSON strings in the summary (64-bit ids do not fit a double).
        FirstId = ulong.Parse(root.GetProperty("firstId").GetString()!, CultureInfo.InvariantCulture);
    }

    /// <summary>The --last-sent file: each user's last send time (Unix ms, 0: never sent).</summary>
    public static long[] ReadLastSent(string path, int users)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length != users * 8L)
            throw new InvalidOperationException($"{path}: {bytes.Length} bytes, expected {users * 8L}");
        var sent = new long[users];
        for (int i = 0; i < users; i++)
            sent[i] = BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8 * i));
        return sent;
    }

    private static string Inv(double v) => v.ToString(CultureInfo.InvariantCulture);
}
