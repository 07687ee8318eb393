using Presence.LoadGen.Internal;

namespace Presence.Unit.Tests.LoadGen;

/// <summary>sendmmsg reads these structs as the kernel lays them out (LP64 Linux).</summary>
public sealed unsafe class MmsgLayoutTests
{
    [Fact]
    public void Structs_MatchTheLinuxLp64Layout()
    {
        Assert.Equal(16, sizeof(MmsgFrameSender.IoVec));
        Assert.Equal(56, sizeof(MmsgFrameSender.MsgHdr));
        Assert.Equal(64, sizeof(MmsgFrameSender.MMsgHdr));
    }
}
