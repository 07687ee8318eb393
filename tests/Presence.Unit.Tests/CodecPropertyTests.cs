using CsCheck;

namespace Presence.Unit.Tests;

public sealed class CodecPropertyTests
{
    private static readonly Gen<HeartbeatRecord> s_record =
        Gen.Select(Gen.ULong[1, ulong.MaxValue], Gen.UInt, Gen.UShort, Gen.Byte[0, 1], (id, t, seq, kind) =>
            new HeartbeatRecord(id, t, seq, (RecordKind)kind, 0));

    [Fact]
    public void WriteUnsigned_ThenTryParse_RoundTripsCounts1To91() =>
        s_record.Array[1, FrameFormat.MaxUdpUnsignedRecords].Sample(records =>
        {
            var buffer = new byte[FrameFormat.MaxUdpFrameSize];
            int n = FrameWriter.WriteUnsigned(buffer, records);
            Assert.True(n <= FrameFormat.MaxUdpFrameSize);
            Assert.Equal(FrameStatus.Ok, FrameParser.TryParse(buffer.AsSpan(0, n), out var frame, FrameFormat.MaxUdpUnsignedRecords));
            Assert.Equal(records.Length, frame.Count);
            for (int i = 0; i < records.Length; i++)
                Assert.Equal(records[i], frame[i]);
        }, iter: 2000);

    [Fact]
    public void WriteSigned_ThenTryParseAndVerify_RoundTrips()
    {
        var ring = Vectors.Ring();
        var keyIds = ring.KeyIds.ToArray();
        var signedRecord = Gen.Select(s_record, Gen.UInt[1, uint.MaxValue], Gen.Int[0, keyIds.Length - 1],
            (r, t, k) => r with { Time = t, KeyId = keyIds[k] });
        signedRecord.Array[1, FrameFormat.MaxUdpSignedRecords].Sample(records =>
        {
            var buffer = new byte[FrameFormat.MaxUdpFrameSize];
            int n = FrameWriter.WriteSigned(buffer, records, ring);
            Assert.Equal(FrameStatus.Ok, FrameParser.TryParse(buffer.AsSpan(0, n), out var frame));
            var key = new byte[32];
            for (int i = 0; i < records.Length; i++)
            {
                Assert.Equal(records[i], frame[i]);
                ring.GetDeviceKey(records[i].UserId, records[i].KeyId, key);
                Assert.True(Signing.VerifyRecord(frame, i, key));
            }
        }, iter: 300);
    }

    [Fact]
    public void TryParse_RandomBytes0To1500_NeverThrows()
    {
        // Pure noise rarely gets past the magic, so half the inputs are valid frames with up to three
        // bytes overwritten: those reach the header, length and record checks, and some still parse,
        // so the consistency check below runs on frames of every size.
        var noise = Gen.Byte.Array[0, 1500];
        var damaged = Gen.Select(s_record.Array[1, 90], Gen.Int[0, 3], Gen.Int.Array[3], Gen.Byte.Array[3], (records, k, at, values) =>
        {
            var bytes = new byte[FrameFormat.FrameSize(records.Length, signed: false)];
            FrameWriter.WriteUnsigned(bytes, records);
            for (int j = 0; j < k; j++)
                bytes[(int)((uint)at[j] % (uint)bytes.Length)] = values[j];
            return bytes;
        });
        long ok = 0;
        var seen = new System.Collections.Concurrent.ConcurrentDictionary<FrameStatus, bool>();
        Gen.OneOf(noise, damaged).Sample(bytes =>
        {
            var status = FrameParser.TryParse(bytes, out var frame);
            seen[status] = true;
            if (status == FrameStatus.Ok)
            {
                // Whatever parses must be internally consistent.
                Assert.Equal(FrameFormat.FrameSize(frame.Count, frame.IsSigned), bytes.Length);
                Interlocked.Increment(ref ok);
            }
        }, iter: 20000);
        Assert.True(Interlocked.Read(ref ok) > 0, "no input parsed: the consistency check never ran");
        Assert.True(seen.Count >= 6, $"only {string.Join(", ", seen.Keys)} seen: the inputs reach too few of the checks");
    }

    [Fact]
    public void TryParse_RandomBytesBehindValidHeader_NeverThrows() =>
        // Random bodies behind a good header reach the record checks, which pure noise rarely does.
        Gen.Select(Gen.Byte[0, 1], Gen.UShort[1, 100], Gen.Byte.Array[0, 1500], (flags, count, body) => (flags, count, body))
            .Sample(t =>
            {
                byte[] bytes = [FrameFormat.Magic0, FrameFormat.Magic1, FrameFormat.Version, t.flags, (byte)(t.count >> 8), (byte)t.count, .. t.body];
                var status = FrameParser.TryParse(bytes, out var frame);
                Assert.Equal(status == FrameStatus.Ok, frame.Count > 0);
            }, iter: 20000);
}
