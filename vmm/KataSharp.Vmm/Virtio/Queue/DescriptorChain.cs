using KataSharp.Vmm.Memory;

namespace KataSharp.Vmm.Virtio.Queue;

/// <summary>
/// A descriptor chain popped from a queue, fully walked and validated before any device sees it:
/// at most <c>queue size</c> direct descriptors (or <see cref="QueueLimits.MaxIndirectEntries"/> in one
/// indirect table), no loops (bounded by that count), indirect only as the sole head descriptor and never
/// nested, device-readable buffers before device-writable ones, every buffer inside guest RAM, total length
/// ≤ <see cref="QueueLimits.MaxChainBytes"/>.
/// One instance per queue is reused: it is valid until the next pop on the same queue.
/// </summary>
public sealed class DescriptorChain
{
    private readonly DescriptorBuffer[] _buffers;
    private GuestMemory? _memory;

    internal DescriptorChain(int capacity)
    {
        _buffers = new DescriptorBuffer[capacity];
        Reader = new ChainReader(this);
        Writer = new ChainWriter(this);
    }

    /// <summary>Index of the head descriptor: what goes back in the used ring.</summary>
    public ushort Head { get; private set; }

    public int Count { get; private set; }

    public ReadOnlySpan<DescriptorBuffer> Buffers => _buffers.AsSpan(0, Count);

    /// <summary>Total bytes the device may read (the driver-written prefix).</summary>
    public ulong ReadableBytes { get; private set; }

    /// <summary>Total bytes the device may write (the suffix).</summary>
    public ulong WritableBytes { get; private set; }

    /// <summary>Index of the first device-writable buffer (== Count when none).</summary>
    public int FirstWritable { get; private set; }

    /// <summary>Why the last load failed; null after a successful load.</summary>
    public string? Problem { get; private set; }

    /// <summary>Sequential reads over the readable buffers (reset at each pop).</summary>
    public ChainReader Reader { get; }

    /// <summary>Sequential writes over the writable buffers (reset at each pop).</summary>
    public ChainWriter Writer { get; }

    internal GuestMemory Memory => _memory ?? throw new InvalidOperationException("chain not loaded");

    /// <summary>Walks the chain starting at <paramref name="head"/>. False (with <see cref="Problem"/>) when it breaks a rule.</summary>
    internal bool Load(GuestMemory memory, GuestAddress table, ushort queueSize, ushort head, bool indirectAllowed)
    {
        _memory = memory;
        Head = head;
        Count = 0;
        ReadableBytes = 0;
        WritableBytes = 0;
        FirstWritable = 0;
        Problem = null;
        Reader.Reset();
        Writer.Reset();

        VirtqDescriptor first = ReadDescriptor(memory, table, head);
        if ((first.Flags & DescriptorFlags.Indirect) == 0)
        {
            return Walk(memory, table, queueSize, head, first);
        }
        if (!indirectAllowed)
        {
            return Fail($"descriptor {head} is indirect but RING_INDIRECT_DESC was not negotiated");
        }
        if ((first.Flags & DescriptorFlags.Next) != 0)
        {
            return Fail($"descriptor {head} sets both INDIRECT and NEXT");
        }
        if (first.Length == 0 || first.Length % VirtqDescriptor.Size != 0)
        {
            return Fail($"indirect table length {first.Length} is not a non-zero multiple of {VirtqDescriptor.Size}");
        }
        uint entries = first.Length / VirtqDescriptor.Size;
        if (entries > QueueLimits.MaxIndirectEntries || entries > _buffers.Length)
        {
            return Fail($"indirect table has {entries} entries; the cap is {Math.Min(QueueLimits.MaxIndirectEntries, _buffers.Length)}");
        }
        var indirectTable = new GuestAddress(first.Address);
        if (!memory.IsValidRange(indirectTable, first.Length))
        {
            return Fail($"indirect table {indirectTable} +{first.Length} is not inside guest RAM");
        }
        return Walk(memory, indirectTable, (ushort)entries, 0, ReadDescriptor(memory, indirectTable, 0), indirect: true);
    }

    private bool Walk(GuestMemory memory, GuestAddress table, ushort tableSize, ushort index, VirtqDescriptor descriptor, bool indirect = false)
    {
        int limit = Math.Min(tableSize, _buffers.Length);
        while (true)
        {
            if (Count == limit)
            {
                return Fail($"chain is longer than {limit} descriptors (a loop, or longer than the {(indirect ? "indirect table" : "queue")})");
            }
            if ((descriptor.Flags & DescriptorFlags.Indirect) != 0)
            {
                return Fail(indirect
                    ? $"indirect table entry {index} is itself indirect"
                    : $"descriptor {index} is indirect but not the chain's only descriptor");
            }
            var address = new GuestAddress(descriptor.Address);
            if (!memory.IsValidRange(address, descriptor.Length))
            {
                return Fail($"descriptor {index} buffer {address} +{descriptor.Length} is not inside guest RAM");
            }
            bool writable = (descriptor.Flags & DescriptorFlags.Write) != 0;
            if (writable)
            {
                WritableBytes += descriptor.Length;
            }
            else
            {
                if (WritableBytes != 0 || FirstWritable != Count)
                {
                    return Fail($"descriptor {index} is device-readable but follows a device-writable one");
                }
                ReadableBytes += descriptor.Length;
                FirstWritable = Count + 1;
            }
            if (ReadableBytes + WritableBytes > QueueLimits.MaxChainBytes)
            {
                return Fail($"chain buffers add up to more than {QueueLimits.MaxChainBytes} bytes");
            }
            _buffers[Count++] = new DescriptorBuffer(address, descriptor.Length, writable);

            if ((descriptor.Flags & DescriptorFlags.Next) == 0)
            {
                return true;
            }
            if (descriptor.Next >= tableSize)
            {
                return Fail($"descriptor {index} points at next {descriptor.Next}, outside a table of {tableSize}");
            }
            index = descriptor.Next;
            descriptor = ReadDescriptor(memory, table, index);
        }
    }

    private static VirtqDescriptor ReadDescriptor(GuestMemory memory, GuestAddress table, ushort index) =>
        memory.Read<VirtqDescriptor>(table.Add((ulong)index * VirtqDescriptor.Size));

    private bool Fail(string problem)
    {
        Problem = problem;
        Count = 0;
        ReadableBytes = 0;
        WritableBytes = 0;
        FirstWritable = 0;
        return false;
    }
}
