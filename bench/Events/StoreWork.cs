namespace Presence.Bench.Events;

/// <summary>
/// What redis-server did in a window, from two INFO commandstats samples. Commands a script runs
/// are counted under their own names too (Redis 7): each of the events log's scripts (append, read,
/// snapshot) does a GET of the log's epoch and of its sequence number, so GETs for expiry checks
/// are the GETs less two per such call (<see cref="EventsResult.ExpiryGets"/>; the last seen scripts run none).
/// </summary>
internal sealed record StoreWork(
    long ScriptCalls,
    long ScriptUsec,
    long Gets,
    long Mgets,
    long Sets,
    long Publishes,
    long AllCalls)
{
    public double UsecPerScriptCall => ScriptCalls == 0 ? 0 : (double)ScriptUsec / ScriptCalls;

    public static StoreWork Between(Dictionary<string, (long Calls, long Usec)> before, Dictionary<string, (long Calls, long Usec)> after)
    {
        (long Calls, long Usec) D(string command)
        {
            after.TryGetValue(command, out var a);
            before.TryGetValue(command, out var b);
            return (a.Calls - b.Calls, a.Usec - b.Usec);
        }
        var eval = D("eval");
        var evalsha = D("evalsha");
        long all = after.Sum(kv => kv.Value.Calls) - before.Sum(kv => kv.Value.Calls);
        return new StoreWork(eval.Calls + evalsha.Calls, eval.Usec + evalsha.Usec, D("get").Calls, D("mget").Calls, D("set").Calls, D("publish").Calls, all);
    }
}
