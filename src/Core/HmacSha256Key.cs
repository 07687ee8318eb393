using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Presence.Core;

/// <summary>
/// An HMAC-SHA256 key made ready once, then used for many short messages: the SHA-256 chaining
/// values after the key's inner and outer pad blocks, as RFC 2104 section 4 suggests ("the
/// intermediate results … may be precomputed once"). A record tag then costs two SHA-256
/// compressions instead of four, and none of the per-call algorithm fetch that OpenSSL 3 does
/// for the BCL's one-shot <see cref="HMACSHA256.HashData(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/>
/// (about 2 µs a call here, against ~0.15 µs for the two compressions).
/// <para>
/// SHA-256 itself is OpenSSL's (libcrypto, which .NET already loads on Linux), called through
/// its SHA256_Init/Update/Final functions; the HMAC construction is RFC 2104's. At first use the
/// result is checked against the BCL's HMACSHA256; where libcrypto is missing, its layout
/// differs, or <c>PRESENCE_NATIVE_SHA256=0</c>, the key is kept as it is and every call goes to
/// the BCL one-shot instead (same results, slower).
/// </para>
/// </summary>
public struct HmacSha256Key
{
    /// <summary>The longest key accepted: one SHA-256 block (longer keys are not used by the protocol).</summary>
    public const int MaxKeySize = 64;

    private const int BlockSize = 64;

    [InlineArray(16)]
    private struct Words
    {
        private uint _first;
    }

    // Native: inner chaining value in [0..8), outer in [8..16). Fallback: the key bytes themselves.
    private Words _state;
    private int _fallbackKeyLength;

    /// <summary>True when tags are computed from the precomputed pads through libcrypto.</summary>
    public static bool IsNative => Native.Enabled;

    /// <summary>Prepares <paramref name="key"/> (1 to 64 bytes).</summary>
    public static void Create(ReadOnlySpan<byte> key, out HmacSha256Key prepared)
    {
        if (key.IsEmpty || key.Length > MaxKeySize)
            throw new ArgumentException($"An HMAC key here is 1 to {MaxKeySize} bytes, not {key.Length}.", nameof(key));
        prepared = default;
        if (Native.Enabled)
        {
            Native.Prepare(key, prepared._state);
        }
        else
        {
            key.CopyTo(MemoryMarshal.AsBytes((Span<uint>)prepared._state));
            prepared._fallbackKeyLength = key.Length;
        }
    }

    /// <summary>Writes HMAC-SHA256(key, <paramref name="message"/>), 32 bytes, to <paramref name="mac"/>.</summary>
    public readonly void Compute(ReadOnlySpan<byte> message, Span<byte> mac)
    {
        if (mac.Length < HMACSHA256.HashSizeInBytes)
            throw new ArgumentException($"An HMAC-SHA256 is {HMACSHA256.HashSizeInBytes} bytes.", nameof(mac));
        if (_fallbackKeyLength != 0)
        {
            var key = MemoryMarshal.AsBytes((ReadOnlySpan<uint>)_state)[.._fallbackKeyLength];
            HMACSHA256.HashData(key, message, mac);
        }
        else
        {
            Native.Compute(_state, message, mac);
        }
    }

    /// <summary>Overwrites the prepared key.</summary>
    public void Clear() => this = default;

    private static unsafe class Native
    {
        // struct SHA256state_st in openssl/sha.h: h[8], Nl, Nh, data[16], num, md_len (112 bytes).
        [StructLayout(LayoutKind.Sequential)]
        private struct Sha256Ctx
        {
            public Words8 H;
            public uint Nl;
            public uint Nh;
            public Words16 Data;
            public uint Num;
            public uint MdLen;
        }

        [InlineArray(8)]
        private struct Words8
        {
            private uint _first;
        }

        [InlineArray(16)]
        private struct Words16
        {
            private uint _first;
        }

        private static readonly delegate* unmanaged[SuppressGCTransition]<Sha256Ctx*, int> s_init;
        private static readonly delegate* unmanaged[SuppressGCTransition]<Sha256Ctx*, byte*, nuint, int> s_update;
        private static readonly delegate* unmanaged[SuppressGCTransition]<byte*, Sha256Ctx*, int> s_final;
        private static readonly delegate* unmanaged[SuppressGCTransition]<Sha256Ctx*, byte*, void> s_transform;

        public static readonly bool Enabled;

        static Native()
        {
            if (Environment.GetEnvironmentVariable("PRESENCE_NATIVE_SHA256") == "0" || !OperatingSystem.IsLinux())
                return;
            if (!NativeLibrary.TryLoad("libcrypto.so.3", out var lib) && !NativeLibrary.TryLoad("libcrypto.so", out lib))
                return;
            if (!NativeLibrary.TryGetExport(lib, "SHA256_Init", out var init)
                || !NativeLibrary.TryGetExport(lib, "SHA256_Update", out var update)
                || !NativeLibrary.TryGetExport(lib, "SHA256_Final", out var final)
                || !NativeLibrary.TryGetExport(lib, "SHA256_Transform", out var transform))
                return;
            s_init = (delegate* unmanaged[SuppressGCTransition]<Sha256Ctx*, int>)init;
            s_update = (delegate* unmanaged[SuppressGCTransition]<Sha256Ctx*, byte*, nuint, int>)update;
            s_final = (delegate* unmanaged[SuppressGCTransition]<byte*, Sha256Ctx*, int>)final;
            s_transform = (delegate* unmanaged[SuppressGCTransition]<Sha256Ctx*, byte*, void>)transform;
            Enabled = SelfTest();
        }

        // Known answers against the BCL, for key and message lengths the protocol uses and a few more.
        private static bool SelfTest()
        {
            Span<byte> key = stackalloc byte[MaxKeySize];
            Span<byte> message = stackalloc byte[100];
            Span<byte> expected = stackalloc byte[32];
            Span<byte> actual = stackalloc byte[32];
            Words state = default;
            for (int i = 0; i < key.Length; i++) key[i] = (byte)(i * 7 + 1);
            for (int i = 0; i < message.Length; i++) message[i] = (byte)(i * 13 + 5);
            foreach (int keyLength in (ReadOnlySpan<int>)[32, 1, 64])
            {
                foreach (int messageLength in (ReadOnlySpan<int>)[20, 9, 0, 55, 56, 100])
                {
                    HMACSHA256.HashData(key[..keyLength], message[..messageLength], expected);
                    Prepare(key[..keyLength], state);
                    Compute(state, message[..messageLength], actual);
                    if (!expected.SequenceEqual(actual))
                        return false;
                }
            }
            return true;
        }

        public static void Prepare(ReadOnlySpan<byte> key, Span<uint> state)
        {
            Span<byte> pad = stackalloc byte[BlockSize];
            Sha256Ctx ctx;
            PadBlock(key, 0x36, pad);
            fixed (byte* p = pad)
            {
                s_init(&ctx);
                s_update(&ctx, p, BlockSize);
            }
            ((ReadOnlySpan<uint>)ctx.H).CopyTo(state[..8]);
            PadBlock(key, 0x5c, pad);
            fixed (byte* p = pad)
            {
                s_init(&ctx);
                s_update(&ctx, p, BlockSize);
            }
            ((ReadOnlySpan<uint>)ctx.H).CopyTo(state[8..]);
            pad.Clear();
            ctx = default;
        }

        public static void Compute(ReadOnlySpan<uint> state, ReadOnlySpan<byte> message, Span<byte> mac)
        {
            if (message.Length <= MaxOneBlockMessage)
            {
                ComputeOneBlock(state, message, mac);
                return;
            }
            byte* inner = stackalloc byte[32];
            Sha256Ctx ctx = Resume(state[..8]);
            fixed (byte* m = message)
            {
                s_update(&ctx, m, (nuint)message.Length);
            }
            s_final(inner, &ctx);
            ctx = Resume(state[8..]);
            s_update(&ctx, inner, 32);
            fixed (byte* d = mac)
            {
                s_final(d, &ctx);
            }
        }

        // Longest message whose padded form fits the one block after the key's pad block:
        // 64 − 1 (the 0x80 byte) − 8 (the bit length).
        private const int MaxOneBlockMessage = BlockSize - 9;

        // The short messages of the protocol (a 20-byte tag input, a 9-byte HKDF-Expand input): each
        // of the two hashes is exactly one more block after the pad block, padded here as FIPS 180-4
        // section 5.1.1 says and compressed with SHA256_Transform — two calls in all, instead of
        // Update and Final for each hash.
        private static void ComputeOneBlock(ReadOnlySpan<uint> state, ReadOnlySpan<byte> message, Span<byte> mac)
        {
            byte* block = stackalloc byte[BlockSize];
            var span = new Span<byte>(block, BlockSize);
            Sha256Ctx ctx = Resume(state[..8]);
            Pad(span, message);
            s_transform(&ctx, block);
            WriteDigest(ctx.H, span[..32]);
            Pad(span, span[..32]);
            ctx = Resume(state[8..]);
            s_transform(&ctx, block);
            WriteDigest(ctx.H, mac);
        }

        // block = message || 0x80 || zeros || (64 + length) × 8 as a big-endian 64-bit number: the
        // final block of a hash whose first block was the key's pad. The message may alias the block.
        private static void Pad(Span<byte> block, ReadOnlySpan<byte> message)
        {
            int length = message.Length;
            message.CopyTo(block);
            block[length] = 0x80;
            block[(length + 1)..^8].Clear();
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(block[^8..], (ulong)(BlockSize + length) * 8);
        }

        private static void WriteDigest(ReadOnlySpan<uint> h, Span<byte> destination)
        {
            for (int i = 0; i < 8; i++)
                System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(destination[(i * 4)..], h[i]);
        }

        // A context that has hashed exactly one block and holds nothing buffered.
        private static Sha256Ctx Resume(ReadOnlySpan<uint> chain)
        {
            Sha256Ctx ctx = default;
            chain.CopyTo(ctx.H);
            ctx.Nl = BlockSize * 8;
            ctx.MdLen = 32;
            return ctx;
        }

        private static void PadBlock(ReadOnlySpan<byte> key, byte with, Span<byte> block)
        {
            block.Fill(with);
            for (int i = 0; i < key.Length; i++)
                block[i] ^= key[i];
        }
    }
}
