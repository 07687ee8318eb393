using System.Globalization;

namespace Presence.Core.Events;

/// <summary>
/// Where the events log lives in the store, for one key prefix. Every key carries the hash tag
/// <c>{&lt;prefix&gt;events}</c>, so under Redis Cluster they share one slot and one script can
/// touch them all atomically; the presence keys themselves stay untagged and spread over the cluster.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>…:seq</c>: the sequence number of the last line appended.</item>
/// <item><c>…:log</c>: a list of lines (<see cref="EventLogLine"/>), oldest first, trimmed by age.</item>
/// <item><c>…:epoch</c>: a random name given when the log is first used; a store that lost its
/// data comes back with another, so event ids of the old log are never mistaken for new ones.</item>
/// <item><c>…:on:&lt;bucket&gt;</c>: users the log has online, id → the <c>at</c> of their online
/// event, in <see cref="Buckets"/> small hashes (id mod buckets) that Redis keeps compact.</item>
/// <item><c>…:count</c>: how many users the log has online (field n) and the newest <c>at</c> of
/// the lines that count includes (field at), kept by the Append script (the online count).</item>
/// <item><c>…:off</c>: users the log took offline in the last minute, id → the <c>at</c> of that
/// offline line (a sorted set), so a later online line is never dated before it.</item>
/// <item><c>…:pend</c>: onlines kept aside while the log has the user online, until the old period's late timeout.</item>
/// <item><c>…:moved</c>: users whose online line the Append script dated later than the online's own <c>at</c>
/// (to an offline's), id → that own <c>at</c>, while the period lasts: a timeout after it ends the period.</item>
/// <item><c>…:orphans</c>: users a stopping ingester was watching for expiry, id → last written
/// receive ms, adopted by the ingesters still running.</item>
/// <item><c>…:wake</c>: pub/sub channel on which an append tells readers to look.</item>
/// </list>
/// </remarks>
public sealed class EventLogKeys
{
    /// <summary>Hashes the online set is split into: at 1M online users ~61 a hash, under Redis's compact-encoding limit (128).</summary>
    public const int Buckets = 16_384;

    public EventLogKeys(string prefix)
    {
        ArgumentException.ThrowIfNullOrEmpty(prefix);
        if (prefix.AsSpan().IndexOfAny('{', '}') >= 0)
            throw new ArgumentException("the key prefix must not contain '{' or '}' (the events log's hash tag is built from it)", nameof(prefix));
        string tag = "{" + prefix + "events}";
        Seq = tag + ":seq";
        Log = tag + ":log";
        Epoch = tag + ":epoch";
        OnlinePrefix = tag + ":on:";
        OnlineCount = tag + ":count"; // the scripts derive it from Seq too
        RecentOffline = tag + ":off"; // the Append script derives it from Seq (…:seq → …:off)
        Orphans = tag + ":orphans";
        WakeChannel = tag + ":wake";
    }

    public string Seq { get; }
    public string Log { get; }
    public string Epoch { get; }
    public string OnlinePrefix { get; }
    public string OnlineCount { get; }
    public string RecentOffline { get; }
    public string Orphans { get; }
    public string WakeChannel { get; }

    /// <summary>The online-set bucket of a user, as the scripts take it (appended to <see cref="OnlinePrefix"/>).</summary>
    public static string Bucket(ulong userId) => (userId % Buckets).ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A new random epoch name (8 hex digits), offered to the scripts in case the log has none yet.
    /// Fresh for every call: a store that lost its data must not get back the name it had.
    /// </summary>
    public static string NewEpoch() => Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(4));
}
