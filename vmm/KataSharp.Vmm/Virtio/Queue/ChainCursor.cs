namespace KataSharp.Vmm.Virtio.Queue;

/// <summary>
/// A position in one part of a <see cref="DescriptorChain"/> (its readable or its writable buffers),
/// seen as one byte stream: the buffer-walking both <see cref="ChainReader"/> and <see cref="ChainWriter"/> share.
/// </summary>
public abstract class ChainCursor
{
    private int _buffer;
    private uint _offset;

    private protected ChainCursor(DescriptorChain chain) => Chain = chain;

    private protected DescriptorChain Chain { get; }

    /// <summary>Bytes consumed (read or written) so far.</summary>
    private protected ulong Done { get; private set; }

    /// <summary>Index of the first buffer of this part.</summary>
    private protected abstract int FirstBuffer { get; }

    /// <summary>Index one past the last buffer of this part.</summary>
    private protected abstract int EndBuffer { get; }

    internal void Reset()
    {
        _buffer = -1;
        _offset = 0;
        Done = 0;
    }

    /// <summary>Guest memory at the cursor within the current buffer, at most <paramref name="max"/> bytes;
    /// empty at the end of this part.</summary>
    private protected Span<byte> Current(int max)
    {
        StartIfNeeded();
        while (_buffer < EndBuffer)
        {
            DescriptorBuffer buffer = Chain.Buffers[_buffer];
            uint left = buffer.Length - _offset;
            if (left == 0)
            {
                _buffer++;
                _offset = 0;
                continue;
            }
            int length = (int)Math.Min(left, (uint)Math.Max(0, max));
            return Chain.Memory.GetSpan(buffer.Address.Add(_offset), length);
        }
        return Span<byte>.Empty;
    }

    /// <summary>Moves the cursor <paramref name="count"/> bytes on (at most to the end of this part).</summary>
    public void Advance(long count)
    {
        StartIfNeeded();
        while (count > 0 && _buffer < EndBuffer)
        {
            uint left = Chain.Buffers[_buffer].Length - _offset;
            uint step = (uint)Math.Min(left, (ulong)count);
            _offset += step;
            count -= step;
            Done += step;
            if (_offset == Chain.Buffers[_buffer].Length)
            {
                _buffer++;
                _offset = 0;
            }
        }
    }

    private void StartIfNeeded()
    {
        if (_buffer < 0)
        {
            _buffer = FirstBuffer;
        }
    }
}
