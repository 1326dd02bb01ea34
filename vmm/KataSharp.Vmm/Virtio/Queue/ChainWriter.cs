namespace KataSharp.Vmm.Virtio.Queue;

/// <summary>
/// A cursor over the device-writable buffers of a <see cref="DescriptorChain"/>, in order, as one
/// byte stream. <see cref="BytesWritten"/> is what the device reports as used length.
/// </summary>
public sealed class ChainWriter
{
    private readonly DescriptorChain _chain;
    private int _buffer;
    private uint _offset;

    internal ChainWriter(DescriptorChain chain) => _chain = chain;

    public ulong BytesWritten { get; private set; }

    /// <summary>Writable bytes left.</summary>
    public ulong Remaining => _chain.WritableBytes - BytesWritten;

    internal void Reset()
    {
        _buffer = -1;
        _offset = 0;
        BytesWritten = 0;
    }

    /// <summary>Forgets everything written so far: the cursor goes back to the first writable byte
    /// (the bytes stay in guest memory but no longer count as written).</summary>
    public void Rewind() => Reset();

    /// <summary>Writes <paramref name="source"/> at <paramref name="offset"/> from the start of the writable
    /// area without moving the cursor (a header filled in after its payload). False when it does not fit.</summary>
    public bool WriteAt(ulong offset, ReadOnlySpan<byte> source)
    {
        if (offset > _chain.WritableBytes || (ulong)source.Length > _chain.WritableBytes - offset)
        {
            return false;
        }
        ReadOnlySpan<DescriptorBuffer> buffers = _chain.Buffers;
        for (int i = _chain.FirstWritable; i < buffers.Length && !source.IsEmpty; i++)
        {
            if (offset >= buffers[i].Length)
            {
                offset -= buffers[i].Length;
                continue;
            }
            int length = (int)Math.Min(buffers[i].Length - offset, (ulong)source.Length);
            source[..length].CopyTo(_chain.Memory.GetSpan(buffers[i].Address.Add(offset), length));
            source = source[length..];
            offset = 0;
        }
        return true;
    }

    /// <summary>Copies as much of <paramref name="source"/> as fits; returns how many bytes.</summary>
    public int Write(ReadOnlySpan<byte> source)
    {
        int done = 0;
        while (done < source.Length)
        {
            Span<byte> destination = CurrentSpan(source.Length - done);
            if (destination.IsEmpty)
            {
                break;
            }
            source.Slice(done, destination.Length).CopyTo(destination);
            Advance(destination.Length);
            done += destination.Length;
        }
        return done;
    }

    /// <summary>Guest memory at the cursor within the current buffer (at most <paramref name="max"/> bytes),
    /// for filling in place (pread, recv, getrandom); call <see cref="Advance"/> with what was filled.</summary>
    public Span<byte> CurrentSpan(int max)
    {
        if (_buffer < 0)
        {
            _buffer = _chain.FirstWritable;
        }
        while (_buffer < _chain.Count)
        {
            DescriptorBuffer buffer = _chain.Buffers[_buffer];
            uint left = buffer.Length - _offset;
            if (left == 0)
            {
                _buffer++;
                _offset = 0;
                continue;
            }
            int length = (int)Math.Min(left, (uint)Math.Max(0, max));
            return _chain.Memory.GetSpan(buffer.Address.Add(_offset), length);
        }
        return Span<byte>.Empty;
    }

    /// <summary>Marks <paramref name="count"/> bytes at the cursor as written.</summary>
    public void Advance(long count)
    {
        if (_buffer < 0)
        {
            _buffer = _chain.FirstWritable;
        }
        while (count > 0 && _buffer < _chain.Count)
        {
            uint left = _chain.Buffers[_buffer].Length - _offset;
            uint step = (uint)Math.Min(left, (ulong)count);
            _offset += step;
            count -= step;
            BytesWritten += step;
            if (_offset == _chain.Buffers[_buffer].Length)
            {
                _buffer++;
                _offset = 0;
            }
        }
    }
}
