using System.Reflection;

namespace Presence.Testing.StandIns;

/// <summary>
/// What the store stand-ins (<see cref="DispatchProxy"/>s for StackExchange.Redis's <c>IDatabase</c> and <c>IBatch</c>)
/// share: a call left unanswered, a call failed, a call passed on to the real object, a call no test may make.
/// </summary>
internal static class StandIn
{
    /// <summary>The method's <c>Task&lt;T&gt;</c> result, never completed: a store that is slow, never wrong; a method returning anything else throws.</summary>
    public static object Unanswered(MethodInfo? method)
    {
        var result = ResultType(method) ?? throw NoStore(method);
        var source = Activator.CreateInstance(typeof(TaskCompletionSource<>).MakeGenericType(result))!;
        return source.GetType().GetProperty(nameof(TaskCompletionSource<int>.Task))!.GetValue(source)!;
    }

    /// <summary>The method's <c>Task&lt;T&gt;</c> failed with <paramref name="failure"/>; a method returning anything else throws it.</summary>
    public static object Failed(MethodInfo method, Exception failure)
    {
        var result = ResultType(method) ?? throw failure;
        var fromException = typeof(Task).GetMethod(nameof(Task.FromException), 1, [typeof(Exception)])!.MakeGenericMethod(result);
        return fromException.Invoke(null, [failure])!;
    }

    /// <summary>The call made on <paramref name="target"/>, its own exception (not reflection's wrapper) thrown.</summary>
    public static object? Forward(object target, MethodInfo method, object?[]? args)
    {
        try
        {
            return method.Invoke(target, args);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(e.InnerException);
            throw;
        }
    }

    /// <summary>What a call a unit test must not make throws: the test also proves the code under it made none.</summary>
    public static InvalidOperationException NoStore(MethodInfo? method) =>
        new($"a unit test has no store: IDatabase.{method?.Name} was called");

    private static Type? ResultType(MethodInfo? method) =>
        method?.ReturnType is { IsGenericType: true } type && type.GetGenericTypeDefinition() == typeof(Task<>) ? type.GetGenericArguments()[0] : null;
}
