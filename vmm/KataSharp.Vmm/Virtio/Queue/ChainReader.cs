using System.Runtime.CompilerServices;

namespace KataSharp.Vmm.Virtio.Queue;

/// <summary>
/// A cursor over the device-readable buffers of a <see cref="DescriptorChain"/>, in order, as one
/// byte stream (any header/data split across descriptors reads the same). Spans it hands out come
/// from the bounds-checked guest memory and must not be kept past the current request.
/// </summary>
public sealed class ChainReader
{
    private readonly DescriptorChain _chain;
    private int _buffer;
    private uint _offset;

    internal ChainReader(DescriptorChain chain) => _chain = chain;

    /// <summary>Bytes consumed so far.</summary>
    public ulong BytesRead { get; private set; }

    /// <summary>Readable bytes not consumed yet.</summary>
    public ulong Remaining => _chain.ReadableBytes - BytesRead;

    internal void Reset()
    {
        _buffer = 0;
        _offset = 0;
        BytesRead = 0;
    }

    /// <summary>Copies up to <paramref name="destination"/>.Length bytes; returns how many.</summary>
    public int Read(Span<byte> destination)
    {
        int done = 0;
        while (done < destination.Length)
        {
            ReadOnlySpan<byte> source = CurrentSpan(destination.Length - done);
            if (source.IsEmpty)
            {
                break;
            }
            source.CopyTo(destination[done..]);
            Advance(source.Length);
            done += source.Length;
        }
        return done;
    }

    /// <summary>Reads a fixed-size header; false (nothing consumed beyond it) when the chain is too short.</summary>
    public bool TryRead<T>(out T value) where T : unmanaged
    {
        int size = Unsafe.SizeOf<T>();
        if (Remaining < (ulong)size)
        {
            value = default;
            return false;
        }
        Span<byte> bytes = stackalloc byte[size];
        Read(bytes);
        value = Unsafe.ReadUnaligned<T>(ref bytes[0]);
        return true;
    }

    /// <summary>The guest bytes at the cursor within the current buffer (at most <paramref name="max"/>), without consuming them.
    /// Empty at the end of the readable part.</summary>
    public ReadOnlySpan<byte> CurrentSpan(int max)
    {
        while (_buffer < _chain.FirstWritable)
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
        return ReadOnlySpan<byte>.Empty;
    }

    /// <summary>Consumes <paramref name="count"/> bytes (at most what remains).</summary>
    public void Advance(long count)
    {
        while (count > 0 && _buffer < _chain.FirstWritable)
        {
            uint left = _chain.Buffers[_buffer].Length - _offset;
            uint step = (uint)Math.Min(left, (ulong)count);
            _offset += step;
            count -= step;
            BytesRead += step;
            if (_offset == _chain.Buffers[_buffer].Length)
            {
                _buffer++;
                _offset = 0;
            }
        }
    }
}
