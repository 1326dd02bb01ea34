using System.Runtime.CompilerServices;

namespace KataSharp.Vmm.Virtio.Queue;

/// <summary>
/// A cursor over the device-readable buffers of a <see cref="DescriptorChain"/>, in order, as one
/// byte stream (any header/data split across descriptors reads the same). Spans it hands out come
/// from the bounds-checked guest memory and must not be kept past the current request.
/// </summary>
public sealed class ChainReader : ChainCursor
{
    internal ChainReader(DescriptorChain chain) : base(chain)
    {
    }

    /// <summary>Bytes consumed so far.</summary>
    public ulong BytesRead => Done;

    /// <summary>Readable bytes not consumed yet.</summary>
    public ulong Remaining => Chain.ReadableBytes - Done;

    private protected override int FirstBuffer => 0;

    private protected override int EndBuffer => Chain.FirstWritable;

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

    /// <summary>Reads a fixed-size header; false (nothing consumed) when the chain is too short.</summary>
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
    public ReadOnlySpan<byte> CurrentSpan(int max) => Current(max);
}
