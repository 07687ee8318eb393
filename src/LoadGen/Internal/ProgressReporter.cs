using System.Diagnostics;
using System.Globalization;

namespace Presence.LoadGen.Internal;

/// <summary>
/// Progress on stderr while sending. On a terminal, one line rewritten in place every 0.5 s;
/// otherwise (a log file, a pipe) a plain line every 2 s, so logs stay readable.
/// </summary>
internal sealed class ProgressReporter(TextWriter output, bool terminal, LoadCounters counters, long users)
{
    private readonly Stopwatch _watch = Stopwatch.StartNew();
    private double _lastSeconds;
    private long _lastFrames;
    private long _lastRecords;
    private int _lastWidth;

    /// <summary>How often <see cref="Report"/> should be called.</summary>
    public TimeSpan Period { get; } = terminal ? TimeSpan.FromMilliseconds(500) : TimeSpan.FromSeconds(2);

    /// <summary>Writes one progress line: rates over the time since the previous one.</summary>
    public void Report()
    {
        double now = _watch.Elapsed.TotalSeconds;
        long frames = counters.Frames, records = counters.Records;
        double span = Math.Max(now - _lastSeconds, 1e-6);
        string line = string.Create(CultureInfo.InvariantCulture,
            $"{now,7:0.0} s  {(frames - _lastFrames) / span,10:N0} frames/s  {(records - _lastRecords) / span,11:N0} records/s  users {counters.UsersCovered:N0}/{users:N0}  errors {counters.Errors:N0}");
        (_lastSeconds, _lastFrames, _lastRecords) = (now, frames, records);
        if (terminal)
        {
            // Pad over the remains of a longer previous line instead of relying on escape codes.
            output.Write("\r" + line.PadRight(_lastWidth));
            _lastWidth = line.Length;
        }
        else
        {
            output.WriteLine(line);
        }
        output.Flush();
    }

    /// <summary>Ends the in-place line so that what follows starts on a line of its own.</summary>
    public void Finish()
    {
        if (terminal && _lastWidth > 0)
            output.WriteLine();
        output.Flush();
    }
}
