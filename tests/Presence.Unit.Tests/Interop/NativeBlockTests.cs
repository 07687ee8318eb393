using Presence.Core.Interop;

namespace Presence.Unit.Tests.Interop;

/// <summary>The memory the ingester's user-sized structures live in: zeroed, resident once written, given back on demand.</summary>
public sealed unsafe class NativeBlockTests
{
    private const int Mb = 1 << 20;

    [Fact]
    public void Written_IsResident_Discarded_GoesBackAndReadsAsZero()
    {
        using var block = new NativeBlock(4 * Mb);
        var bytes = new Span<byte>(block.Address, 4 * Mb);
        Assert.True(block.ResidentBytes() < Mb, "untouched pages are not resident");
        Assert.Equal(-1, bytes.IndexOfAnyExcept((byte)0)); // zeroed (reading maps the kernel's zero page: checked after)

        bytes.Fill(7);
        Assert.Equal((nuint)(4 * Mb), block.ResidentBytes());

        block.Discard(Mb); // the first MB stays
        Assert.Equal((nuint)Mb, block.ResidentBytes());
        Assert.Equal(7, bytes[Mb - 1]);
        Assert.Equal(-1, bytes[Mb..].IndexOfAnyExcept((byte)0));
    }

    [Fact]
    public void Disposed_AddressThrows_DisposeTwiceIsHarmless()
    {
        var block = new NativeBlock(100);
        block.Dispose();
        block.Dispose();
        Assert.Throws<ObjectDisposedException>(() => (nint)block.Address);
    }
}
