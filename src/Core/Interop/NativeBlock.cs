using System.Runtime.InteropServices;

namespace Presence.Core.Interop;

/// <summary>
/// A block of zeroed memory outside the GC heap, for a structure sized by the users it serves that
/// must give its memory back when it shrinks or grows. A large managed array lives in the GC's large
/// object heap, whose regions stay committed after the array dies: measured at the seed workload, the
/// ingester's start burst left ~40 MB committed and empty after a compacting full GC
/// (docs/PERFORMANCE.md, "Ingest memory at 1M online users"). Here the pages come from the kernel
/// (<c>mmap</c>, on Linux), are resident only once touched, and go back at once: all of them when the
/// block is disposed (<c>munmap</c>), or a range by <see cref="Discard"/> (<c>madvise</c>). Elsewhere
/// than Linux, <see cref="NativeMemory"/> stands in (discarded pages are zeroed in place).
/// </summary>
/// <remarks>
/// Freed by <see cref="Dispose"/> or, failing that, by the finalizer. An owner that reads the block
/// through <see cref="Address"/> keeps itself reachable until its last read (<see cref="GC.KeepAlive"/>)
/// so the finalizer cannot free the pages under it.
/// </remarks>
internal sealed unsafe class NativeBlock : IDisposable
{
    private static readonly nuint s_pageSize = (nuint)Environment.SystemPageSize;
    private nint _address;

    /// <summary>Maps <paramref name="bytes"/> of zeroed memory (at least one page).</summary>
    /// <exception cref="OutOfMemoryException">The kernel refused the mapping.</exception>
    public NativeBlock(nuint bytes)
    {
        Bytes = Math.Max(bytes, 1);
        if (OperatingSystem.IsLinux())
        {
            _address = LinuxMemory.Mmap(0, Bytes, LinuxMemory.ProtRead | LinuxMemory.ProtWrite, LinuxMemory.MapPrivate | LinuxMemory.MapAnonymous, -1, 0);
            if (_address == LinuxMemory.MapFailed)
                throw new OutOfMemoryException($"mmap of {Bytes:N0} bytes failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        else
        {
            _address = (nint)NativeMemory.AllocZeroed(Bytes);
        }
        GC.AddMemoryPressure((long)Bytes);
    }

    /// <summary>The block's size in bytes.</summary>
    public nuint Bytes { get; }

    /// <summary>The block's first byte.</summary>
    /// <exception cref="ObjectDisposedException">The block was disposed.</exception>
    public void* Address => _address != 0 ? (void*)_address : throw new ObjectDisposedException(nameof(NativeBlock));

    /// <summary>
    /// Gives the block's pages from <paramref name="offset"/> (rounded up to a page) to its end back to the
    /// kernel; they read as zero afterwards and are resident again only once written.
    /// </summary>
    public void Discard(nuint offset)
    {
        nuint from = (offset + s_pageSize - 1) / s_pageSize * s_pageSize;
        if (from >= Bytes)
            return;
        if (!OperatingSystem.IsLinux())
        {
            new Span<byte>((byte*)Address + from, checked((int)(Bytes - from))).Clear();
            return;
        }
        if (LinuxMemory.Madvise((nint)Address + (nint)from, Bytes - from, LinuxMemory.MadvDontNeed) != 0)
            throw new InvalidOperationException($"madvise failed (errno {Marshal.GetLastPInvokeError()}).");
    }

    /// <summary>Bytes of the block resident in memory now (Linux: <c>mincore</c>; elsewhere the whole block).</summary>
    public nuint ResidentBytes()
    {
        if (!OperatingSystem.IsLinux())
            return Bytes;
        nuint pages = (Bytes + s_pageSize - 1) / s_pageSize;
        var vector = new byte[pages];
        fixed (byte* v = vector)
        {
            if (LinuxMemory.Mincore((nint)Address, Bytes, v) != 0)
                throw new InvalidOperationException($"mincore failed (errno {Marshal.GetLastPInvokeError()}).");
        }
        nuint resident = 0;
        foreach (byte page in vector)
            resident += (nuint)(page & 1);
        GC.KeepAlive(this);
        return resident * s_pageSize;
    }

    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~NativeBlock() => Free();

    private void Free()
    {
        nint address = Interlocked.Exchange(ref _address, 0);
        if (address == 0)
            return;
        if (OperatingSystem.IsLinux())
            _ = LinuxMemory.Munmap(address, Bytes); // fails only for a bad range, which a block's own never is
        else
            NativeMemory.Free((void*)address);
        GC.RemoveMemoryPressure((long)Bytes);
    }
}
