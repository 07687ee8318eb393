namespace Presence.Ingest.Internal.Flush;

/// <summary>
/// What follows the flush (with --events on, the transitions stage): the one way the flusher
/// talks to it. It hears every write's answer, is ticked with the flusher and woken by its own
/// store calls, and says which users' keys it knows this ingester wrote, so the flusher can
/// send a refresh (<c>SET … XX</c>) rather than <c>SET … GET</c> and write the keys that expire
/// soonest first. Called on the flusher's thread only.
/// </summary>
internal interface IWriteObserver
{
    /// <summary>
    /// Set by the flusher: whether a user has a newer write pending or in flight (its pending set),
    /// whose answer will tell what a look at the user's key would.
    /// </summary>
    Func<ulong, bool>? WriteOutstanding { set; }

    /// <summary>A store call of the observer's in flight (the flusher wakes when it is answered), or null.</summary>
    Task? InFlight { get; }

    /// <summary>Whether this ingester knows it wrote the user's key, and that write's receive time.</summary>
    bool TryGetWritten(ulong userId, out long writtenMs);

    /// <summary>
    /// A hint, no effect: <see cref="TryGetWritten"/> or <see cref="OnWritten"/> will soon be asked about
    /// this user. The flusher walks a flush's writes in order and asks a few ahead, so the cache
    /// misses of a table of millions of users overlap rather than come one after another.
    /// </summary>
    void Prefetch(ulong userId);

    /// <summary>One answered write of the flusher (any outcome but Failed), answered at <paramref name="nowMs"/>.</summary>
    void OnWritten(in PendingWrite write, WriteOutcome outcome, long nowMs);

    /// <summary>One write of the flusher whose answer never came (timed out, refused, the connection lost, or not issued).</summary>
    void OnUnanswered(in PendingWrite write);

    /// <summary>Each flusher tick.</summary>
    void Tick(long nowMs);

    /// <summary>Takes the answers of whatever store call of the observer has completed.</summary>
    void TakeAnswers();
}
