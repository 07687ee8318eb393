using System.Reflection;
using StackExchange.Redis;

namespace Presence.Testing.StandIns;

/// <summary>
/// An <see cref="IDatabase"/> (through <see cref="DispatchProxy.Create{T, TProxy}"/>) for the
/// transition detector's store calls: <c>GET</c> is answered at once by <see cref="Get"/> and
/// each is recorded (<see cref="Gets"/>); the orphan set is always empty, and adding to it fails with
/// <see cref="AddFailure"/> when one is set; any other call stays
/// unanswered when it returns a task (as <see cref="SilentDatabase"/>), else throws.
/// </summary>
public class ScriptedDatabase : DispatchProxy
{
    private readonly List<string> _gets = [];

    /// <summary>The value a GET of the key answers (null: no key).</summary>
    public Func<string, RedisValue> Get { get; set; } = _ => RedisValue.Null;

    /// <summary>
    /// GETs and orphan pops are recorded but never answered: StackExchange.Redis can leave a task
    /// so when a connection fails under it (StackExchange.Redis#2742).
    /// </summary>
    public bool Unanswered { get; set; }

    /// <summary>What an orphan-set add (a hand-over) fails with (null: it stays unanswered).</summary>
    public Exception? AddFailure { get; set; }

    /// <summary>Keys read, in order.</summary>
    public IReadOnlyList<string> Gets => _gets;

    public static (IDatabase Database, ScriptedDatabase Script) Create()
    {
        var database = DispatchProxy.Create<IDatabase, ScriptedDatabase>();
        return (database, (ScriptedDatabase)(object)database);
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        switch (targetMethod?.Name)
        {
            case nameof(IDatabase.StringGetAsync) when Unanswered && args is [RedisKey key, ..]:
                _gets.Add(key.ToString());
                return new TaskCompletionSource<RedisValue>().Task;
            case nameof(IDatabase.SortedSetPopAsync) when Unanswered:
                return new TaskCompletionSource<SortedSetEntry[]>().Task;
            case nameof(IDatabase.StringGetAsync) when args is [RedisKey key, ..]:
                _gets.Add(key.ToString());
                return Task.FromResult(Get(key.ToString()));
            case nameof(IDatabase.SortedSetPopAsync):
                return Task.FromResult(Array.Empty<SortedSetEntry>());
            case nameof(IDatabase.SortedSetAddAsync) when AddFailure is not null:
                return Task.FromException<long>(AddFailure);
        }
        return StandIn.Unanswered(targetMethod);
    }
}
