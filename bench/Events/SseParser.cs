using System.Buffers;

namespace Presence.Bench.Events;

/// <summary>
/// The part of a Server-Sent Events reader (WHATWG HTML §9.2.6) the benchmark needs: lines split on
/// LF (a CR before it dropped), <c>event</c>, <c>id</c> and <c>data</c> fields gathered until a blank
/// line dispatches them, comment lines counted. A line split across reads is carried over in a
/// buffer rented only while it is incomplete, so an idle stream holds almost no memory.
/// </summary>
internal sealed class SseParser(ISseSink sink)
{
    private readonly byte[] _type = new byte[32];
    private readonly byte[] _id = new byte[64];
    private byte[] _data = [];
    private byte[]? _carry;
    private int _carryLength;
    private int _typeLength;
    private int _idLength;
    private int _dataLength;
    private bool _hasData;

    /// <summary>Takes the next bytes of the stream's body.</summary>
    public void Feed(ReadOnlySpan<byte> input)
    {
        while (!input.IsEmpty)
        {
            int newline = input.IndexOf((byte)'\n');
            if (newline < 0)
            {
                Carry(input);
                return;
            }
            if (_carryLength > 0)
            {
                Carry(input[..newline]);
                Line(_carry.AsSpan(0, _carryLength));
                _carryLength = 0;
                ArrayPool<byte>.Shared.Return(_carry!);
                _carry = null;
            }
            else
            {
                Line(input[..newline]);
            }
            input = input[(newline + 1)..];
        }
    }

    /// <summary>Drops what was gathered (a new connection starts a new stream).</summary>
    public void Reset()
    {
        _typeLength = _idLength = _dataLength = 0;
        _hasData = false;
        if (_carry is not null)
            ArrayPool<byte>.Shared.Return(_carry);
        _carry = null;
        _carryLength = 0;
    }

    private void Line(ReadOnlySpan<byte> line)
    {
        if (!line.IsEmpty && line[^1] == (byte)'\r')
            line = line[..^1];
        if (line.IsEmpty)
        {
            if (_hasData || _typeLength > 0)
                sink.OnEvent(_type.AsSpan(0, _typeLength), _id.AsSpan(0, _idLength), _data.AsSpan(0, _dataLength));
            _typeLength = _dataLength = 0;
            _hasData = false;
            if (_data.Length > 4096)
                _data = []; // a snapshot's buffer is not kept for the stream's life
            return; // the last event id stays, as in a browser
        }
        if (line[0] == (byte)':')
        {
            sink.OnComment();
            return;
        }
        int colon = line.IndexOf((byte)':');
        var name = colon < 0 ? line : line[..colon];
        var value = colon < 0 ? [] : line[(colon + 1)..];
        if (!value.IsEmpty && value[0] == (byte)' ')
            value = value[1..];
        if (name.SequenceEqual("event"u8))
            _typeLength = Copy(value, _type);
        else if (name.SequenceEqual("id"u8))
            _idLength = Copy(value, _id);
        else if (name.SequenceEqual("data"u8))
            AppendData(value);
        // retry and unknown fields: ignored
    }

    private void AppendData(ReadOnlySpan<byte> value)
    {
        int extra = _hasData ? 1 : 0;
        if (_dataLength + extra + value.Length > _data.Length)
            Array.Resize(ref _data, Math.Max(256, 2 * (_dataLength + extra + value.Length)));
        if (_hasData)
            _data[_dataLength++] = (byte)'\n';
        value.CopyTo(_data.AsSpan(_dataLength));
        _dataLength += value.Length;
        _hasData = true;
    }

    private void Carry(ReadOnlySpan<byte> bytes)
    {
        if (_carry is null || _carryLength + bytes.Length > _carry.Length)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Max(1024, 2 * (_carryLength + bytes.Length)));
            if (_carry is not null)
            {
                _carry.AsSpan(0, _carryLength).CopyTo(bigger);
                ArrayPool<byte>.Shared.Return(_carry);
            }
            _carry = bigger;
        }
        bytes.CopyTo(_carry.AsSpan(_carryLength));
        _carryLength += bytes.Length;
    }

    private static int Copy(ReadOnlySpan<byte> value, byte[] to)
    {
        int n = Math.Min(value.Length, to.Length);
        value[..n].CopyTo(to);
        return n;
    }
}
