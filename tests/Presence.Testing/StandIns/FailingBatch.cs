using System.Reflection;
using StackExchange.Redis;

namespace Presence.Testing.StandIns;

/// <summary>
/// An <c>IBatch</c> (through <see cref="DispatchProxy.Create{T, TProxy}"/>) over a real one whose <c>Execute</c> throws
/// <see cref="Failure"/> instead of sending, as StackExchange.Redis's does when no connection is available
/// ("No connection is active/available to service this operation"); its calls are then never answered.
/// </summary>
public class FailingBatch : DispatchProxy
{
    public IBatch Target { get; set; } = null!;

    public Exception Failure { get; set; } = null!;

    public static IBatch Over(IBatch target, Exception failure)
    {
        var proxy = Create<IBatch, FailingBatch>();
        var failing = (FailingBatch)(object)proxy;
        failing.Target = target;
        failing.Failure = failure;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == nameof(IBatch.Execute))
            throw Failure;
        return StandIn.Forward(Target, targetMethod, args);
    }
}
