using KataSharp.Vmm.Memory;
using KataSharp.Vmm.Virtio.Queue;

namespace KataSharp.Vmm.Tests.Virtio.Support;

/// <summary>
/// The driver's half of one split virtqueue in guest memory, written the way Linux's virtio_ring does:
/// descriptors, then the avail ring entry, then (release) avail.idx. Also offers raw writes so tests
/// can build hostile rings.
/// </summary>
internal sealed class FakeQueue
{
    private readonly GuestMemory _memory;
    private ushort _nextDescriptor;
    private ushort _availIdx;
    private ushort _lastSeenUsed;

    public FakeQueue(GuestMemory memory, ushort size, GuestAddress desc, GuestAddress avail, GuestAddress used)
    {
        _memory = memory;
        Size = size;
        Desc = desc;
        Avail = avail;
        Used = used;
    }

    public ushort Size { get; }

    public GuestAddress Desc { get; }

    public GuestAddress Avail { get; }

    public GuestAddress Used { get; }

    public ushort AvailIdx => _availIdx;

    public ushort UsedIdx => _memory.ReadUInt16Acquire(Used.Add(2));

    public static ulong DescBytes(ushort size) => 16UL * size;

    public static ulong AvailBytes(ushort size) => 6UL + 2UL * size;

    public static ulong UsedBytes(ushort size) => 6UL + 8UL * size;

    public void WriteDescriptor(ushort index, ulong address, uint length, DescriptorFlags flags, ushort next = 0) =>
        WriteDescriptorAt(Desc.Add(16UL * index), address, length, flags, next);

    public void WriteDescriptorAt(GuestAddress at, ulong address, uint length, DescriptorFlags flags, ushort next)
    {
        _memory.Write(at, address);
        _memory.Write(at.Add(8), length);
        _memory.Write(at.Add(12), (ushort)flags);
        _memory.Write(at.Add(14), next);
    }

    /// <summary>Writes a direct chain (readable buffers must come first) and publishes it. Returns the head.</summary>
    public ushort AddChain(params (ulong Address, uint Length, bool Writable)[] buffers)
    {
        ushort head = _nextDescriptor;
        for (int i = 0; i < buffers.Length; i++)
        {
            ushort index = (ushort)((head + i) % Size);
            ushort next = (ushort)((head + i + 1) % Size);
            var flags = (buffers[i].Writable ? DescriptorFlags.Write : 0) | (i + 1 < buffers.Length ? DescriptorFlags.Next : 0);
            WriteDescriptor(index, buffers[i].Address, buffers[i].Length, flags, next);
        }
        _nextDescriptor = (ushort)((head + buffers.Length) % Size);
        Publish(head);
        return head;
    }

    /// <summary>Writes the buffers into an indirect table at <paramref name="table"/> and publishes one descriptor pointing at it.</summary>
    public ushort AddIndirectChain(GuestAddress table, params (ulong Address, uint Length, bool Writable)[] buffers)
    {
        for (int i = 0; i < buffers.Length; i++)
        {
            var flags = (buffers[i].Writable ? DescriptorFlags.Write : 0) | (i + 1 < buffers.Length ? DescriptorFlags.Next : 0);
            WriteDescriptorAt(table.Add(16UL * (ulong)i), buffers[i].Address, buffers[i].Length, flags, (ushort)(i + 1));
        }
        ushort head = _nextDescriptor;
        WriteDescriptor(head, table.Value, (uint)(16 * buffers.Length), DescriptorFlags.Indirect);
        _nextDescriptor = (ushort)((head + 1) % Size);
        Publish(head);
        return head;
    }

    /// <summary>Puts <paramref name="head"/> in the next avail slot and bumps avail.idx (release).</summary>
    public void Publish(ushort head)
    {
        _memory.Write(Avail.Add(4UL + 2UL * (ulong)(_availIdx % Size)), head);
        _availIdx++;
        _memory.WriteUInt16Release(Avail.Add(2), _availIdx);
    }

    /// <summary>Sets avail.idx to anything (hostile tests).</summary>
    public void SetAvailIdx(ushort value)
    {
        _availIdx = value;
        _memory.WriteUInt16Release(Avail.Add(2), value);
    }

    public void SetAvailFlags(ushort flags) => _memory.Write(Avail, flags);

    /// <summary>used_event: interrupt me when the used index passes this.</summary>
    public void SetUsedEvent(ushort value) => _memory.Write(Avail.Add(4UL + 2UL * Size), value);

    /// <summary>avail_event as written by the device.</summary>
    public ushort AvailEvent => _memory.Read<ushort>(Used.Add(4UL + 8UL * Size));

    public (uint Id, uint Length) UsedElement(ushort usedIndex)
    {
        GuestAddress element = Used.Add(4UL + 8UL * (ulong)(usedIndex % Size));
        return (_memory.Read<uint>(element), _memory.Read<uint>(element.Add(4)));
    }

    /// <summary>Takes the used elements the device added since the last call.</summary>
    public List<(uint Id, uint Length)> TakeUsed()
    {
        var taken = new List<(uint, uint)>();
        ushort used = UsedIdx;
        while (_lastSeenUsed != used)
        {
            taken.Add(UsedElement(_lastSeenUsed));
            _lastSeenUsed++;
        }
        return taken;
    }
}
