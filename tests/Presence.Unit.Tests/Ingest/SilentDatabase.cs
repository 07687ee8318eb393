using System.Reflection;

namespace Presence.Unit.Tests.Ingest;

/// <summary>
/// An <c>IDatabase</c> (through <see cref="DispatchProxy.Create{T, TProxy}"/>) whose every async
/// call stays unanswered: a store that is slow, never wrong. For code that issues background calls
/// (the transition detector's expiry checks and adoption) while a unit test looks at something else.
/// Anything not returning a <see cref="Task{TResult}"/> throws, as <see cref="UnreachableDatabase"/> does.
/// </summary>
public class SilentDatabase : DispatchProxy
{
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        var type = targetMethod?.ReturnType;
        if (type is { IsGenericType: true } && type.GetGenericTypeDefinition() == typeof(Task<>))
        {
            var source = Activator.CreateInstance(typeof(TaskCompletionSource<>).MakeGenericType(type.GetGenericArguments()[0]))!;
            return source.GetType().GetProperty(nameof(TaskCompletionSource<int>.Task))!.GetValue(source);
        }
        throw new InvalidOperationException($"a unit test has no store: IDatabase.{targetMethod?.Name} was called");
    }
}
