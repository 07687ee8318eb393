using System.Reflection;

namespace Presence.Testing.StandIns;

/// <summary>
/// An <c>IDatabase</c> (through <see cref="DispatchProxy.Create{T, TProxy}"/>) whose every async
/// call stays unanswered: a store that is slow, never wrong. For code that issues background calls
/// (the transition detector's expiry checks and adoption) while a unit test looks at something else.
/// Anything not returning a <see cref="Task{TResult}"/> throws, as <see cref="UnreachableDatabase"/> does.
/// </summary>
public class SilentDatabase : DispatchProxy
{
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) => StandIn.Unanswered(targetMethod);
}
