namespace Presence.LoadGen.Internal;

/// <summary>The values of <c>--sender</c>.</summary>
public enum SenderKind
{
    /// <summary>Linux <c>sendmmsg</c>: one system call per batch of frames.</summary>
    Sendmmsg,

    /// <summary><c>Socket.SendTo</c> per frame: portable.</summary>
    Socket,
}
