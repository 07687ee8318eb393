namespace Presence.LoadGen.Internal;

/// <summary>What a user does at one of its slots (<see cref="ChurnPlan"/>).</summary>
internal enum SlotAction : byte
{
    /// <summary>Sends a heartbeat (kind 0): every user not churning, and churning users while active.</summary>
    Heartbeat,

    /// <summary>Sends a sign-out (kind 1): the first slot of a silent period, for churning users that sign out.</summary>
    SignOut,

    /// <summary>Sends nothing: a churning user in a silent period.</summary>
    Silent,
}
