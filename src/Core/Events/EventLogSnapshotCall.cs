using System.Globalization;

namespace Presence.Core.Events;

/// <summary>
/// One call of <see cref="EventLogScripts.Snapshot"/>: its argument layout and its result, in one
/// place. ARGV: candidate epoch, online-bucket key prefix, then (user id, bucket) per user; the
/// answer is <c>{epoch, last seq, per user the at of its online line or ''}</c>. Arguments and
/// answer are the store's strings, so Core needs no store client.
/// </summary>
public static class EventLogSnapshotCall
{
    private const int Fixed = 2;

    /// <summary>ARGV for the log's state of <paramref name="ids"/>.</summary>
    public static string[] Arguments(EventLogKeys keys, ReadOnlySpan<ulong> ids)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var arguments = new string[Fixed + 2 * ids.Length];
        arguments[0] = EventLogKeys.NewEpoch();
        arguments[1] = keys.OnlinePrefix;
        for (int i = 0; i < ids.Length; i++)
        {
            arguments[Fixed + 2 * i] = ids[i].ToString(CultureInfo.InvariantCulture);
            arguments[Fixed + 2 * i + 1] = EventLogKeys.Bucket(ids[i]);
        }
        return arguments;
    }

    /// <summary>The answer to <see cref="Arguments"/> for <paramref name="users"/> ids, in their order.</summary>
    public static EventLogSnapshot Decode(string?[] reply, int users)
    {
        ArgumentNullException.ThrowIfNull(reply);
        var onlineSince = new long?[users];
        for (int i = 0; i < users; i++)
        {
            onlineSince[i] = long.TryParse(reply[Fixed + i], NumberStyles.None, CultureInfo.InvariantCulture, out long at) ? at : null;
        }
        return new EventLogSnapshot(reply[0]!, long.Parse(reply[1]!, NumberStyles.None, CultureInfo.InvariantCulture), onlineSince);
    }
}
