namespace KataSharp.Vmm.Virtio.Queue;

/// <summary>
/// A cursor over the device-writable buffers of a <see cref="DescriptorChain"/>, in order, as one
/// byte stream. <see cref="BytesWritten"/> is what the device reports as used length.
/// </summary>
public sealed class ChainWriter : ChainCursor
{
    internal ChainWriter(DescriptorChain chain) : base(chain)
    {
    }

    public ulong BytesWritten => Done;

    /// <summary>Writable bytes left.</summary>
    public ulong Remaining => Chain.WritableBytes - Done;

    private protected override int FirstBuffer => Chain.FirstWritable;

    private protected override int EndBuffer => Chain.Count;

    /// <summary>Forgets everything written so far: the cursor goes back to the first writable byte
    /// (the bytes stay in guest memory but no longer count as written).</summary>
    public void Rewind() => Reset();

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
    /// for filling in place (pread, recv, getrandom); call <see cref="ChainCursor.Advance"/> with what was filled.</summary>
    public Span<byte> CurrentSpan(int max) => Current(max);

    /// <summary>Writes <paramref name="source"/> at <paramref name="offset"/> from the start of the writable
    /// area without moving the cursor (a header filled in after its payload). False when it does not fit.</summary>
    public bool WriteAt(ulong offset, ReadOnlySpan<byte> source)
    {
        if (offset > Chain.WritableBytes || (ulong)source.Length > Chain.WritableBytes - offset)
        {
            return false;
        }
        ReadOnlySpan<DescriptorBuffer> buffers = Chain.Buffers;
        for (int i = Chain.FirstWritable; i < buffers.Length && !source.IsEmpty; i++)
        {
            if (offset >= buffers[i].Length)
            {
                offset -= buffers[i].Length;
                continue;
            }
            int length = (int)Math.Min(buffers[i].Length - offset, (ulong)source.Length);
            source[..length].CopyTo(Chain.Memory.GetSpan(buffers[i].Address.Add(offset), length));
            source = source[length..];
            offset = 0;
        }
        return true;
    }
}
