using System.Reflection;
using Presence.Client;
using Presence.Query;

namespace Presence.Unit.Tests.Client;

/// <summary>
/// The problem types presence-query answers and the ones the client names for app backends are
/// two copies (the client does not reference the service): this keeps them equal, name for name.
/// </summary>
public sealed class ProblemTypesTests
{
    [Fact]
    public void ClientProblemTypes_AreTheQueryServicesProblemTypes()
    {
        // Found by name, wherever the query service keeps it: its static Problem instances, each with its Type.
        var problem = typeof(QueryApp).Assembly.GetTypes().Single(t => t.Name == "Problem" && t.GetProperty("Type") is not null);
        var served = problem.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.FieldType == problem)
            .ToDictionary(f => f.Name, f => (string)problem.GetProperty("Type")!.GetValue(f.GetValue(null))!);
        var named = typeof(PresenceProblemTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .ToDictionary(f => f.Name, f => (string)f.GetRawConstantValue()!);

        Assert.NotEmpty(served);
        Assert.Equal(served.OrderBy(p => p.Key), named.OrderBy(p => p.Key));
    }
}
