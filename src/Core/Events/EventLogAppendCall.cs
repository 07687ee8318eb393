using System.Globalization;

namespace Presence.Core.Events;

/// <summary>
/// One call of <see cref="EventLogScripts.Append"/>: its argument layout and its result, in one
/// place. ARGV: candidate epoch, online-bucket key prefix, trim cutoff (Unix ms), ttl (ms), now (Unix ms), then
/// (kind n|p|a|t|s|w, user id, bucket, at ms) per transition; the answer is <c>{epoch, last seq}</c>. Arguments
/// are strings (what the store receives whatever the client), so Core needs no store client.
/// </summary>
public sealed class EventLogAppendCall
{
    private const int Fixed = 5;
    private const int PerTransition = 4;

    private readonly string[] _arguments;
    private int _next = Fixed;

    /// <summary>
    /// A call for <paramref name="transitions"/> transitions, offering a new epoch in case the log has none.
    /// <paramref name="ttlMs"/>: the ingesters' ttl, how long after a dropped online the old period's
    /// timeout may still come (<see cref="EventLogScripts.Append"/>).
    /// </summary>
    public EventLogAppendCall(EventLogKeys keys, int transitions, long ttlMs)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _arguments = new string[Fixed + PerTransition * transitions];
        _arguments[0] = EventLogKeys.NewEpoch();
        _arguments[1] = keys.OnlinePrefix;
        _arguments[2] = "0";
        _arguments[3] = ttlMs.ToString(CultureInfo.InvariantCulture);
        _arguments[4] = "0";
    }

    /// <summary>
    /// Adds the next transition, in the order the log must record them. <paramref name="possible"/>: an
    /// online the ingester is not sure of (a key it met anew), which the log drops silently when it has
    /// the user online; or a timeout a start-up sweep found, whose <paramref name="atMs"/> is the online
    /// <c>at</c> the sweep read: it ends only that period, dated at the call's now. <paramref name="relayed"/>: an online
    /// the log takes only right after a timeout of the user, added just before it, that ended a period (with a line dated no later).
    /// </summary>
    public void Add(TransitionKind kind, ulong userId, long atMs, bool possible = false, bool relayed = false)
    {
        _arguments[_next++] = (possible, relayed, kind) switch
        {
            (_, true, TransitionKind.Online) => "a",
            (true, _, TransitionKind.Online) => "p",
            (true, _, TransitionKind.Timeout) => "w",
            _ => EventLogLine.KindCode(kind).ToString(),
        };
        _arguments[_next++] = userId.ToString(CultureInfo.InvariantCulture);
        _arguments[_next++] = EventLogKeys.Bucket(userId);
        _arguments[_next++] = atMs.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The script's ARGV, with the lines older than <paramref name="trimBeforeMs"/> to be trimmed and <paramref name="nowMs"/>
    /// the time a swept timeout is dated at (both set anew for each attempt).
    /// </summary>
    public string[] Arguments(long trimBeforeMs, long nowMs)
    {
        if (_next != _arguments.Length)
            throw new InvalidOperationException($"{(_next - Fixed) / PerTransition} of {(_arguments.Length - Fixed) / PerTransition} transitions added");
        _arguments[2] = trimBeforeMs.ToString(CultureInfo.InvariantCulture);
        _arguments[4] = nowMs.ToString(CultureInfo.InvariantCulture);
        return _arguments;
    }

    /// <summary>The script's answer, as the store's strings: the log's epoch and its last sequence number.</summary>
    public static EventLogHead Decode(string?[] reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        return new EventLogHead(reply[0]!, long.Parse(reply[1]!, NumberStyles.None, CultureInfo.InvariantCulture));
    }
}
