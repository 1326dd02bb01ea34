using KataSharp.Vmm.Arch;

namespace KataSharp.Vmm.DeviceManager;

/// <summary>
/// Hands out virtio-mmio slots in one deterministic order: slot i is the i-th 4 KiB window from
/// <see cref="X86Layout.VirtioMmioBase"/> and gets IRQ <see cref="X86Layout.FirstDeviceIrq"/> + i, wrapping
/// around the IOAPIC's device pins, so devices share a line only when there are more devices than pins
/// (the guest tells sharers apart by their InterruptStatus).
/// </summary>
public sealed class MmioSlotAllocator
{
    private const uint IrqCount = X86Layout.LastDeviceIrq - X86Layout.FirstDeviceIrq + 1;

    private int _next;

    /// <summary>Slots handed out so far.</summary>
    public int Count => _next;

    public MmioSlot Allocate()
    {
        if (_next >= X86Layout.VirtioMmioMaxSlots)
        {
            throw new InvalidOperationException($"all {X86Layout.VirtioMmioMaxSlots} virtio-mmio slots are in use: attach fewer devices");
        }
        int index = _next++;
        return SlotAt(index);
    }

    /// <summary>The slot with index <paramref name="index"/> (what <see cref="Allocate"/> returns the (index+1)-th time).</summary>
    public static MmioSlot SlotAt(int index) => new(
        index,
        X86Layout.VirtioMmioBase + (ulong)index * X86Layout.VirtioMmioSlotSize,
        X86Layout.VirtioMmioSlotSize,
        X86Layout.FirstDeviceIrq + (uint)index % IrqCount);
}
