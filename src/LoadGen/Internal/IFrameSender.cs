namespace Presence.LoadGen.Internal;

/// <summary>Sends a <see cref="FrameBatch"/> to the target; one implementation per system call strategy.</summary>
internal interface IFrameSender : IDisposable
{
    /// <summary>The name <c>--sender</c> takes.</summary>
    string Name { get; }

    /// <summary>
    /// Sends every frame of <paramref name="batch"/>, in order. A frame the kernel refuses for a
    /// transient reason (buffer full, ENOBUFS, nobody listening) is counted as an error and
    /// skipped; anything else throws.
    /// </summary>
    SendResult Send(FrameBatch batch);
}
