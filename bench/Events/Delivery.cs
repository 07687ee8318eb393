using Presence.Core.Events;

namespace Presence.Bench.Events;

/// <summary>One online/offline event as a subscriber received it: its log sequence number, what it says, and when it arrived (Unix ms).</summary>
internal readonly record struct Delivery(long Seq, TransitionKind Kind, ulong UserId, long AtMs, double ReceivedMs)
{
    /// <summary>Receive time minus the event's <c>at</c>, in milliseconds.</summary>
    public double DelayMs => ReceivedMs - AtMs;
}
