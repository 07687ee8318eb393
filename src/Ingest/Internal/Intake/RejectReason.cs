namespace Presence.Ingest.Internal.Intake;

/// <summary>Why a record that was well formed was still not applied (PROTOCOL.md, signed records).</summary>
internal enum RejectReason
{
    AuthFailed,
    Stale,
    Replayed,
    UnsignedRejected,
}
