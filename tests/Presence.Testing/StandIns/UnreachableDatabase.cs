using System.Reflection;

namespace Presence.Testing.StandIns;

/// <summary>
/// An <see cref="StackExchange.Redis.IDatabase"/> for code whose store calls a unit test must not
/// reach: any call throws, so a test also proves the code under it made none.
/// (<c>DispatchProxy.Create&lt;IDatabase, UnreachableDatabase&gt;()</c>; not sealed, as DispatchProxy requires.)
/// </summary>
public class UnreachableDatabase : DispatchProxy
{
    protected override object? Invoke(MethodInfo? targetMethod, object?[]? args) =>
        throw StandIn.NoStore(targetMethod);
}
