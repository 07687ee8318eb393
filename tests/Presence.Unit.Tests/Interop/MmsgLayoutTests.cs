using System.Runtime.InteropServices;
using Presence.Core.Interop;

namespace Presence.Unit.Tests.Interop;

/// <summary>
/// The kernel reads and writes these structs at fixed offsets (LP64 Linux): sendmmsg reads the
/// iovecs and lengths the load generator fills in; recvmmsg writes the length and flags the
/// ingester reads back. A field out of place would send or parse the wrong bytes without an error.
/// </summary>
public sealed unsafe class MmsgLayoutTests
{
    [Fact]
    public void Sizes_MatchTheLinuxLp64Layout()
    {
        Assert.Equal(16, sizeof(IoVec));
        Assert.Equal(56, sizeof(MsgHdr));
        Assert.Equal(64, sizeof(MMsgHdr));
    }

    [Theory]
    [InlineData(nameof(MsgHdr.Name), 0)]
    [InlineData(nameof(MsgHdr.NameLength), 8)]
    [InlineData(nameof(MsgHdr.Iov), 16)]
    [InlineData(nameof(MsgHdr.IovLength), 24)]
    [InlineData(nameof(MsgHdr.Control), 32)]
    [InlineData(nameof(MsgHdr.ControlLength), 40)]
    [InlineData(nameof(MsgHdr.Flags), 48)] // msg_flags: MSG_TRUNC on the receive path
    public void MsgHdr_Fields_AtTheKernelsOffsets(string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf<MsgHdr>(field));

    [Fact]
    public void MMsgHdrAndIoVec_Fields_AtTheKernelsOffsets()
    {
        Assert.Equal(56, (int)Marshal.OffsetOf<MMsgHdr>(nameof(MMsgHdr.Length))); // msg_len: bytes received into the slot
        Assert.Equal(0, (int)Marshal.OffsetOf<IoVec>(nameof(IoVec.Base)));
        Assert.Equal(8, (int)Marshal.OffsetOf<IoVec>(nameof(IoVec.Length)));
    }
}
