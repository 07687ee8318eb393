using System.Reflection;

namespace Presence.Unit.Tests.Ingest;

/// <summary>
/// An <see cref="StackExchange.Redis.IDatabase"/> for code whose store calls a unit test must not
/// reach: any call throws, so a test also proves the code under it made none.
/// (<c>DispatchProxy.Create&lt;IDatabase, UnreachableDatabase&gt;()</c>; not sealed, as DispatchProxy requires.)
/// </summary>
public class UnreachableDatabase : DispatchProxy
{
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
        throw new InvalidOperationException($"a unit test has no store: IDatabase.{targetMethod?.Name} was called");
}
