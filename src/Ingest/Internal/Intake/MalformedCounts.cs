using Presence.Core;

namespace Presence.Ingest.Internal.Intake;

/// <summary>Malformed frames by <see cref="FrameStatus"/>.</summary>
[System.Runtime.CompilerServices.InlineArray(IngestMetrics.FrameStatusCount)]
internal struct MalformedCounts
{
    private long _first;
}
