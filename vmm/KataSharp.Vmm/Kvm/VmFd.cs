using KataSharp.Linux.Events;
using KataSharp.Linux.Files;
using KataSharp.Vmm.Kvm.Interop;
using KataSharp.Vmm.Memory;
using static KataSharp.Vmm.Kvm.Interop.KvmConstants;
using static KataSharp.Vmm.Kvm.Interop.KvmIoctls;

namespace KataSharp.Vmm.Kvm;

/// <summary>
/// A KVM VM: one typed method per VM ioctl (memory slots, irqchip, PIT, interrupt lines, irqfd,
/// ioeventfd) and vCPU creation. Failures throw <see cref="KataSharp.Linux.LinuxException"/>
/// naming the ioctl and errno.
/// </summary>
public sealed class VmFd : IDisposable
{
    private readonly FileDescriptor _fd;
    private readonly int _vcpuMmapSize;

    internal VmFd(FileDescriptor fd, int vcpuMmapSize)
    {
        _fd = fd;
        _vcpuMmapSize = vcpuMmapSize;
    }

    /// <summary>Maps guest RAM [guestAddress, +size) to host memory at <paramref name="hostAddress"/> in slot <paramref name="slot"/>.</summary>
    public void SetUserMemoryRegion(uint slot, GuestAddress guestAddress, ulong size, ulong hostAddress)
    {
        var region = new kvm_userspace_memory_region
        {
            slot = slot,
            guest_phys_addr = guestAddress.Value,
            memory_size = size,
            userspace_addr = hostAddress,
        };
        Ioctl.Invoke(_fd, KVM_SET_USER_MEMORY_REGION, ref region, $"KVM_SET_USER_MEMORY_REGION(slot {slot}, {guestAddress} +0x{size:x})");
    }

    /// <summary>Three pages of guest-physical space KVM needs for its real-mode TSS (Intel only, harmless elsewhere).</summary>
    public void SetTssAddress(ulong address) =>
        Ioctl.Invoke(_fd, KVM_SET_TSS_ADDR, address, $"KVM_SET_TSS_ADDR(0x{address:x})");

    /// <summary>One page KVM uses for the identity map of unrestricted-guest-less Intel hosts.</summary>
    public void SetIdentityMapAddress(ulong address)
    {
        ulong value = address;
        Ioctl.Invoke(_fd, KVM_SET_IDENTITY_MAP_ADDR, ref value, $"KVM_SET_IDENTITY_MAP_ADDR(0x{address:x})");
    }

    /// <summary>In-kernel PIC pair, IOAPIC and local APICs. Must precede vCPU creation.</summary>
    public void CreateIrqchip() => Ioctl.Invoke(_fd, KVM_CREATE_IRQCHIP, 0, "KVM_CREATE_IRQCHIP");

    /// <summary>In-kernel i8254 PIT (ports 0x40-0x43 and the 0x61 speaker gate).</summary>
    public void CreatePit2()
    {
        var config = new kvm_pit_config { flags = KVM_PIT_SPEAKER_DUMMY };
        Ioctl.Invoke(_fd, KVM_CREATE_PIT2, ref config, "KVM_CREATE_PIT2");
    }

    /// <summary>Sets an irqchip input line (GSI) high or low.</summary>
    public void SetIrqLine(uint irq, bool high)
    {
        var level = new kvm_irq_level { irq = irq, level = high ? 1u : 0u };
        Ioctl.Invoke(_fd, KVM_IRQ_LINE, ref level, $"KVM_IRQ_LINE({irq}, {(high ? 1 : 0)})");
    }

    /// <summary>A write to <paramref name="eventFd"/> now pulses GSI <paramref name="gsi"/> inside KVM.</summary>
    public void RegisterIrqFd(EventFd eventFd, uint gsi) => IrqFd(eventFd, gsi, 0, "KVM_IRQFD");

    public void UnregisterIrqFd(EventFd eventFd, uint gsi) => IrqFd(eventFd, gsi, KVM_IRQFD_FLAG_DEASSIGN, "KVM_IRQFD(deassign)");

    /// <summary>A guest write of <paramref name="length"/> bytes to <paramref name="address"/> (equal to
    /// <paramref name="dataMatch"/> when given) signals <paramref name="eventFd"/> instead of exiting.</summary>
    public void RegisterIoEventFd(EventFd eventFd, IoEventSpace space, ulong address, int length, ulong? dataMatch) =>
        IoEventFd(eventFd, space, address, length, dataMatch, 0, "KVM_IOEVENTFD");

    public void UnregisterIoEventFd(EventFd eventFd, IoEventSpace space, ulong address, int length, ulong? dataMatch) =>
        IoEventFd(eventFd, space, address, length, dataMatch, KVM_IOEVENTFD_FLAG_DEASSIGN, "KVM_IOEVENTFD(deassign)");

    /// <summary>KVM_CREATE_VCPU plus its kvm_run mapping.</summary>
    public VcpuFd CreateVcpu(int id)
    {
        int fd = Ioctl.Invoke(_fd, KVM_CREATE_VCPU, (ulong)id, $"KVM_CREATE_VCPU({id})");
        var descriptor = new FileDescriptor(fd);
        try
        {
            return new VcpuFd(id, descriptor, new KvmRunArea(descriptor, _vcpuMmapSize));
        }
        catch
        {
            descriptor.Dispose();
            throw;
        }
    }

    private void IrqFd(EventFd eventFd, uint gsi, uint flags, string name)
    {
        var request = new kvm_irqfd { fd = (uint)eventFd.Descriptor.Value, gsi = gsi, flags = flags };
        Ioctl.Invoke(_fd, KVM_IRQFD, ref request, $"{name}(gsi {gsi})");
    }

    private void IoEventFd(EventFd eventFd, IoEventSpace space, ulong address, int length, ulong? dataMatch, uint flags, string name)
    {
        if (length is not (0 or 1 or 2 or 4 or 8))
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "ioeventfd length must be 0, 1, 2, 4 or 8 bytes");
        }
        var request = new kvm_ioeventfd
        {
            addr = address,
            len = (uint)length,
            fd = eventFd.Descriptor.Value,
            datamatch = dataMatch ?? 0,
            flags = flags
                | (space == IoEventSpace.Pio ? KVM_IOEVENTFD_FLAG_PIO : 0)
                | (dataMatch.HasValue ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0),
        };
        Ioctl.Invoke(_fd, KVM_IOEVENTFD, ref request, $"{name}({space} 0x{address:x}/{length}{(dataMatch.HasValue ? $" = {dataMatch}" : "")})");
    }

    public void Dispose() => _fd.Dispose();
}
