using System.Buffers.Binary;

namespace KataSharp.Agent.Protocol.DebugConsoleWire;

/// <summary>
/// Splits a byte stream into <see cref="DebugConsoleFrame"/>s with a fixed buffer of one largest frame: the caller reads
/// into <see cref="Free"/> (never more than that), reports the count with <see cref="Advance"/>, then takes frames
/// until <see cref="TryTake"/> says none is complete. Whoever sends is not trusted: a length over the cap or an
/// unknown type is an <see cref="InvalidDataException"/>, never a bigger buffer.
/// </summary>
public sealed class DebugConsoleFrameDecoder
{
    private readonly byte[] _buffer = new byte[DebugConsoleFrame.HeaderBytes + DebugConsoleFrame.MaxPayload];
    private int _start;
    private int _end;

    /// <summary>Where the next read goes; never empty (a partial frame always leaves room for its rest).</summary>
    public Memory<byte> Free
    {
        get
        {
            if (_start > 0)
            {
                // The taken frames' bytes are done with (their payloads were used before this is asked for again).
                _buffer.AsSpan(_start, _end - _start).CopyTo(_buffer);
                _end -= _start;
                _start = 0;
            }
            return _buffer.AsMemory(_end);
        }
    }

    /// <summary>True when a frame has begun and not ended: an end of stream now cuts a frame short.</summary>
    public bool HasPartialFrame => _end > _start;

    public void Advance(int count)
    {
        if (count < 0 || count > _buffer.Length - _end)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"{count} bytes do not fit the {_buffer.Length - _end} free");
        }
        _end += count;
    }

    /// <summary>The next complete frame; its payload is valid until <see cref="Free"/> is next read.</summary>
    public bool TryTake(out DebugConsoleFrame frame)
    {
        frame = default;
        int available = _end - _start;
        if (available < DebugConsoleFrame.HeaderBytes)
        {
            return false;
        }
        byte type = _buffer[_start];
        if (!Enum.IsDefined((DebugConsoleFrameType)type))
        {
            throw new InvalidDataException($"debug console: unknown frame type {type}");
        }
        int length = BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(_start + 1));
        if (length > DebugConsoleFrame.MaxPayload)
        {
            throw new InvalidDataException($"debug console: a frame of {length} bytes (at most {DebugConsoleFrame.MaxPayload})");
        }
        if (available < DebugConsoleFrame.HeaderBytes + length)
        {
            return false;
        }
        frame = new DebugConsoleFrame((DebugConsoleFrameType)type, _buffer.AsMemory(_start + DebugConsoleFrame.HeaderBytes, length));
        _start += DebugConsoleFrame.HeaderBytes + length;
        return true;
    }
}
