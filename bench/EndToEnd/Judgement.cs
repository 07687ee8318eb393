namespace Presence.Bench.EndToEnd;

/// <summary>
/// When a run's users are judged (<c>--judge</c>): at the moment sending stopped, with the receiver
/// frozen (sustained: did it keep up?), and after it drained (late is not lost).
/// </summary>
internal enum Judgement
{
    AtStop,
    Drained,
}
