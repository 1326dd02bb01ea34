using System.Numerics;
using KataSharp.Vmm.Memory;

namespace KataSharp.Vmm.Virtio.Queue;

/// <summary>
/// The device side of a split virtqueue (virtio spec 1.2 §2.7). The guest owns the rings and can
/// write anything into them at any time, so every value read from them is checked here before use:
/// ring placement and alignment once at activation, the available index on every pop (a jump of more
/// than the queue size breaks the queue), each head index, and each chain via <see cref="DescriptorChain"/>.
/// Guest memory is reached only through <see cref="GuestMemory"/>; a failed access breaks the queue
/// instead of throwing. Used by one thread at a time (the device lock).
/// </summary>
public sealed class VirtQueue
{
    private const ulong RingHeader = 4; // flags u16 + idx u16
    private const ushort AvailFlagNoInterrupt = 1;

    private readonly DescriptorChain _chain;
    private GuestMemory? _memory;
    private ushort _nextAvail;
    private ushort _nextUsed;
    private ushort _signalledUsed;
    private bool _eventIdx;
    private bool _indirect;

    public VirtQueue(ushort maxSize)
    {
        if (maxSize == 0 || maxSize > QueueLimits.SpecMaxQueueSize || !BitOperations.IsPow2((uint)maxSize))
        {
            throw new ArgumentOutOfRangeException(nameof(maxSize), maxSize, "a queue's maximum size must be a power of two ≤ 32768");
        }
        MaxSize = maxSize;
        _chain = new DescriptorChain(Math.Max((int)maxSize, QueueLimits.MaxIndirectEntries));
    }

    /// <summary>QueueNumMax: the largest size the driver may choose.</summary>
    public ushort MaxSize { get; }

    /// <summary>QueueNum as written by the driver (validated at activation).</summary>
    public ushort Size { get; set; }

    /// <summary>QueueReady as written by the driver.</summary>
    public bool IsReady { get; set; }

    public GuestAddress DescriptorTable { get; set; }

    /// <summary>The driver area (available ring).</summary>
    public GuestAddress AvailRing { get; set; }

    /// <summary>The device area (used ring).</summary>
    public GuestAddress UsedRing { get; set; }

    /// <summary>True once the queue is activated and until it breaks or is reset.</summary>
    public bool IsActive => _memory is not null && BrokenReason is null;

    /// <summary>Why the queue stopped (a corrupt ring); null while healthy.</summary>
    public string? BrokenReason { get; private set; }

    /// <summary>Chains returned to the guest so far (wrapping): the used index.</summary>
    public ushort NextUsed => _nextUsed;

    /// <summary>Checks size, alignment and placement of the three areas; returns the problem or null.</summary>
    public string? Validate(GuestMemory memory)
    {
        if (!IsReady)
        {
            return "queue is not ready";
        }
        if (Size == 0 || Size > MaxSize || !BitOperations.IsPow2((uint)Size))
        {
            return $"queue size {Size} is not a power of two between 1 and {MaxSize}";
        }
        ulong size = Size;
        return CheckArea(memory, "descriptor table", DescriptorTable, 16, size * VirtqDescriptor.Size)
            ?? CheckArea(memory, "available ring", AvailRing, 2, RingHeader + 2 * size + 2)
            ?? CheckArea(memory, "used ring", UsedRing, 4, RingHeader + 8 * size + 2);
    }

    /// <summary>Starts using the rings (after <see cref="Validate"/> passed) with the negotiated ring features.</summary>
    public void Activate(GuestMemory memory, bool eventIdx, bool indirect)
    {
        _memory = memory;
        _eventIdx = eventIdx;
        _indirect = indirect;
        _nextAvail = 0;
        _nextUsed = 0;
        _signalledUsed = 0;
        BrokenReason = null;
    }

    /// <summary>Back to the state after device reset: not ready, no addresses, counters zero.</summary>
    public void Reset()
    {
        _memory = null;
        Size = 0;
        IsReady = false;
        DescriptorTable = default;
        AvailRing = default;
        UsedRing = default;
        _nextAvail = 0;
        _nextUsed = 0;
        _signalledUsed = 0;
        _eventIdx = false;
        _indirect = false;
        BrokenReason = null;
    }

    /// <summary>
    /// Takes the next available chain. On <see cref="QueuePopResult.Chain"/> and
    /// <see cref="QueuePopResult.Malformed"/>, <paramref name="chain"/> is set (valid until the next pop);
    /// a malformed chain must still be returned with <see cref="AddUsed"/> (length 0).
    /// </summary>
    public QueuePopResult TryPop(out DescriptorChain chain)
    {
        chain = _chain;
        if (_memory is not { } memory || BrokenReason is not null)
        {
            return _memory is null ? QueuePopResult.Empty : QueuePopResult.Broken;
        }
        try
        {
            // Acquire: the ring entry and descriptors the driver published before bumping idx are visible.
            ushort availIdx = memory.ReadUInt16Acquire(AvailRing.Add(2));
            ushort pending = (ushort)(availIdx - _nextAvail);
            if (pending == 0)
            {
                return QueuePopResult.Empty;
            }
            if (pending > Size)
            {
                return Break($"available index jumped to {availIdx} ({pending} new entries) but the queue holds {Size}");
            }
            ushort head = memory.Read<ushort>(AvailRing.Add(RingHeader + 2UL * (ushort)(_nextAvail & (Size - 1))));
            if (head >= Size)
            {
                return Break($"available ring names head descriptor {head}, outside a queue of {Size}");
            }
            _nextAvail++;
            return _chain.Load(memory, DescriptorTable, Size, head, _indirect) ? QueuePopResult.Chain : QueuePopResult.Malformed;
        }
        catch (GuestMemoryException e)
        {
            return Break(e.Message);
        }
    }

    /// <summary>Puts the last popped chain back (a device that could not use it yet, e.g. no data to send).</summary>
    public void UndoPop() => _nextAvail--;

    /// <summary>Returns chain <paramref name="head"/> to the driver with <paramref name="length"/> bytes written.</summary>
    public void AddUsed(ushort head, uint length)
    {
        if (_memory is not { } memory || BrokenReason is not null)
        {
            return;
        }
        try
        {
            GuestAddress element = UsedRing.Add(RingHeader + 8UL * (ushort)(_nextUsed & (Size - 1)));
            memory.Write(element, (uint)head);
            memory.Write(element.Add(4), length);
            _nextUsed++;
            // Release: the element is visible before the index that publishes it.
            memory.WriteUInt16Release(UsedRing.Add(2), _nextUsed);
        }
        catch (GuestMemoryException e)
        {
            Break(e.Message);
        }
    }

    /// <summary>
    /// After adding used chains: does the driver want an interrupt? Honours used_event with EVENT_IDX
    /// (vring_need_event), otherwise VRING_AVAIL_F_NO_INTERRUPT.
    /// </summary>
    public bool ShouldInterrupt()
    {
        if (_memory is not { } memory || BrokenReason is not null)
        {
            return false;
        }
        // Full fence: our used.idx store must be visible before we read the driver's suppression state,
        // or both sides can decide the other will act and the interrupt is lost.
        Interlocked.MemoryBarrier();
        try
        {
            if (!_eventIdx)
            {
                return (memory.Read<ushort>(AvailRing) & AvailFlagNoInterrupt) == 0;
            }
            ushort usedEvent = memory.Read<ushort>(AvailRing.Add(RingHeader + 2UL * Size));
            ushort previous = _signalledUsed;
            _signalledUsed = _nextUsed;
            return (ushort)(_nextUsed - usedEvent - 1) < (ushort)(_nextUsed - previous);
        }
        catch (GuestMemoryException e)
        {
            Break(e.Message);
            return false;
        }
    }

    /// <summary>
    /// Before going idle: asks the driver to notify us for the next buffer (avail_event with EVENT_IDX)
    /// and re-checks the ring. True when buffers arrived in the meantime and the device should keep going.
    /// </summary>
    public bool EnableNotificationAndCheck()
    {
        if (_memory is not { } memory || BrokenReason is not null)
        {
            return false;
        }
        try
        {
            if (_eventIdx)
            {
                memory.Write(UsedRing.Add(RingHeader + 8UL * Size), _nextAvail);
            }
            // Full fence: publish avail_event before re-reading avail.idx (the driver does the reverse).
            Interlocked.MemoryBarrier();
            return memory.ReadUInt16Acquire(AvailRing.Add(2)) != _nextAvail;
        }
        catch (GuestMemoryException e)
        {
            Break(e.Message);
            return false;
        }
    }

    private QueuePopResult Break(string reason)
    {
        BrokenReason = reason;
        return QueuePopResult.Broken;
    }

    private static string? CheckArea(GuestMemory memory, string name, GuestAddress address, ulong alignment, ulong length)
    {
        if (address.Value % alignment != 0)
        {
            return $"{name} at {address} is not {alignment}-byte aligned";
        }
        if (!memory.IsValidRange(address, length))
        {
            return $"{name} {address} +{length} is not inside guest RAM";
        }
        return null;
    }
}
