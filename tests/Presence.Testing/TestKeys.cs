using System.Runtime.CompilerServices;

namespace Presence.Testing;

public static class TestKeys
{
    /// <summary>A key prefix of the calling test's own, so tests sharing one server never see each other's keys.</summary>
    public static string Prefix([CallerMemberName] string test = "") => $"t:{test}:{Guid.NewGuid():N}:";
}
