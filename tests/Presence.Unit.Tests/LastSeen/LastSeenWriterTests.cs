using Presence.Core.Events;
using Presence.Ingest.Internal.LastSeen;
using Presence.Ingest.Internal.Transitions;

namespace Presence.Unit.Tests.LastSeen;

/// <summary>What an offline transition writes as its user's last seen: the last receive, whole seconds.</summary>
public sealed class LastSeenWriterTests
{
    private const long TtlMs = 30_000;

    [Fact]
    public void LastSeenOf_Timeout_IsAtMinusTtl_InWholeSeconds() =>
        Assert.Equal(1_764_269_000, LastSeenWriter.LastSeenOf(new PresenceTransition(7, TransitionKind.Timeout, 1_764_269_000_999 + TtlMs), TtlMs, appendedAtMs: 1_764_269_999_000));

    [Fact]
    public void LastSeenOf_Signout_IsItsReceiveTime_InWholeSeconds() =>
        Assert.Equal(1_764_269_012, LastSeenWriter.LastSeenOf(new PresenceTransition(7, TransitionKind.Signout, 1_764_269_012_345), TtlMs, appendedAtMs: 1_764_269_999_000));

    [Fact]
    public void LastSeenOf_SweptTimeout_IsTheAppendMinusTtl_NotItsOnlinesTime() =>
        Assert.Equal(1_764_269_020, LastSeenWriter.LastSeenOf(new PresenceTransition(7, TransitionKind.Timeout, 1_764_260_000_000, Possible: true), TtlMs, appendedAtMs: 1_764_269_020_000 + TtlMs));

    [Fact]
    public void LastSeenOf_Online_IsNone() =>
        Assert.Null(LastSeenWriter.LastSeenOf(new PresenceTransition(7, TransitionKind.Online, 1_764_269_012_345), TtlMs, appendedAtMs: 1_764_269_999_000));

    [Fact]
    public void BucketLifetime_IsTheRetentionAndAnHour() =>
        Assert.Equal((30 * 86_400) + 3_600, LastSeenWriter.BucketLifetimeSeconds(30));
}
