using System.Globalization;

namespace KataSharp.Vmm.DeviceManager;

/// <summary>
/// Where one virtio-mmio device lives: its register window and its interrupt line. The guest learns
/// about it from <see cref="KernelCmdlineEntry"/> (CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES).
/// </summary>
public sealed record MmioSlot(int Index, ulong BaseAddress, ulong Size, uint Irq)
{
    /// <summary>The QueueNotify register: KVM ioeventfds match writes here by queue index.</summary>
    public ulong QueueNotifyAddress => BaseAddress + Virtio.Transport.MmioRegister.QueueNotify;

    /// <summary><c>virtio_mmio.device=&lt;size&gt;@&lt;base&gt;:&lt;irq&gt;</c> as Linux's vm_cmdline_set parses it.</summary>
    public string KernelCmdlineEntry =>
        string.Create(CultureInfo.InvariantCulture, $"virtio_mmio.device={Size / 1024}K@0x{BaseAddress:x}:{Irq}");
}
