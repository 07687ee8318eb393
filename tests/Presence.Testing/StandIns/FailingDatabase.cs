using System.Reflection;
using StackExchange.Redis;

namespace Presence.Testing.StandIns;

/// <summary>
/// An <c>IDatabase</c> (through <see cref="DispatchProxy.Create{T, TProxy}"/>) over a real one, whose next
/// <see cref="Failures"/> calls of the method named <see cref="Method"/> fail with <see cref="Failure"/> before reaching
/// the store (as the store client fails after a fault tore its connection down); every other call goes through.
/// </summary>
public class FailingDatabase : DispatchProxy
{
    public IDatabase Target { get; set; } = null!;

    public string Method { get; set; } = "";

    public int Failures { get; set; }

    public Exception Failure { get; set; } = new InvalidOperationException("Reading is not allowed after reader was completed.");

    /// <summary>With <see cref="Method"/> <c>CreateBatch</c>: the next <see cref="Failures"/> batches fail when executed (<see cref="FailingBatch"/>), not when created.</summary>
    public bool FailBatchExecute { get; set; }

    public static IDatabase Over(IDatabase target, string method, int failures, Exception? failure = null, bool failBatchExecute = false)
    {
        var proxy = Create<IDatabase, FailingDatabase>();
        var failing = (FailingDatabase)(object)proxy;
        failing.Target = target;
        failing.Method = method;
        failing.Failures = failures;
        failing.FailBatchExecute = failBatchExecute;
        if (failure is not null)
            failing.Failure = failure;
        return proxy;
    }

    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
    {
        ArgumentNullException.ThrowIfNull(targetMethod);
        if (targetMethod.Name == Method && Failures > 0)
        {
            Failures--;
            if (FailBatchExecute && targetMethod.Name == nameof(IDatabase.CreateBatch))
                return FailingBatch.Over(Target.CreateBatch(args?.FirstOrDefault()), Failure);
            return StandIn.Failed(targetMethod, Failure);
        }
        return StandIn.Forward(Target, targetMethod, args);
    }
}
