namespace Presence.LoadGen.Internal;

/// <summary>
/// What the send loop has done, published for the progress reporter. One writer (the send
/// thread), any number of readers: plain volatile stores suffice, no interlocked adds.
/// </summary>
internal sealed class LoadCounters
{
    private long _frames;
    private long _records;
    private long _errors;
    private long _usersCovered;
    private long _offlineRecords;

    public long Frames => Volatile.Read(ref _frames);

    public long Records => Volatile.Read(ref _records);

    public long Errors => Volatile.Read(ref _errors);

    public long UsersCovered => Volatile.Read(ref _usersCovered);

    public long OfflineRecords => Volatile.Read(ref _offlineRecords);

    /// <summary>Adds one heartbeat batch's result (send thread only).</summary>
    public void AddHeartbeats(SendResult result, long usersCovered)
    {
        Volatile.Write(ref _frames, _frames + result.Sent);
        Volatile.Write(ref _records, _records + result.Records);
        Volatile.Write(ref _errors, _errors + result.Errors);
        Volatile.Write(ref _usersCovered, usersCovered);
    }

    /// <summary>Adds one sign-off batch's result (send thread only).</summary>
    public void AddOffline(SendResult result)
    {
        Volatile.Write(ref _offlineRecords, _offlineRecords + result.Records);
        Volatile.Write(ref _errors, _errors + result.Errors);
    }
}
