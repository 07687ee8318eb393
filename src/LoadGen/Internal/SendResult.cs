namespace Presence.LoadGen.Internal;

/// <summary>What one <see cref="IFrameSender.Send"/> did: frames and records sent, frames lost to errors.</summary>
internal readonly record struct SendResult(int Sent, int Records, int Errors);
