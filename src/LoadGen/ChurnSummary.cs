namespace Presence.LoadGen;

/// <summary>
/// What <c>--churn</c> did, in the summary: how many users churn and how many of them sign out,
/// the periods, the sign-out records sent and the slots passed over in silence. Each churning user
/// makes one online and one offline transition per active + silent seconds.
/// </summary>
internal sealed record ChurnSummary(
    int Users,
    int SigningOut,
    double ActiveSeconds,
    double SilentSeconds,
    long SignOutRecords,
    long SilentSlots);
