using System.Runtime.CompilerServices;
using KataSharp.Linux;
using static KataSharp.Vmm.Kvm.Interop.KvmConstants;

namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>
/// Every KVM ioctl request number, computed from the _IO/_IOR/_IOW/_IOWR encoding and the C
/// struct sizes. C names, so the layout test can compare each with the header macro.
/// </summary>
public static class KvmIoctls
{
    // /dev/kvm
    public static readonly uint KVM_GET_API_VERSION = IoctlNumber.Io(KVMIO, 0x00);
    public static readonly uint KVM_CREATE_VM = IoctlNumber.Io(KVMIO, 0x01);
    public static readonly uint KVM_GET_MSR_INDEX_LIST = IoctlNumber.Iowr(KVMIO, 0x02, Unsafe.SizeOf<kvm_msr_list>());
    public static readonly uint KVM_CHECK_EXTENSION = IoctlNumber.Io(KVMIO, 0x03);
    public static readonly uint KVM_GET_VCPU_MMAP_SIZE = IoctlNumber.Io(KVMIO, 0x04);
    public static readonly uint KVM_GET_SUPPORTED_CPUID = IoctlNumber.Iowr(KVMIO, 0x05, Unsafe.SizeOf<kvm_cpuid2>());

    // VM
    public static readonly uint KVM_CREATE_VCPU = IoctlNumber.Io(KVMIO, 0x41);
    public static readonly uint KVM_SET_USER_MEMORY_REGION = IoctlNumber.Iow(KVMIO, 0x46, Unsafe.SizeOf<kvm_userspace_memory_region>());
    public static readonly uint KVM_SET_TSS_ADDR = IoctlNumber.Io(KVMIO, 0x47);
    public static readonly uint KVM_SET_IDENTITY_MAP_ADDR = IoctlNumber.Iow(KVMIO, 0x48, sizeof(ulong));
    public static readonly uint KVM_CREATE_IRQCHIP = IoctlNumber.Io(KVMIO, 0x60);
    public static readonly uint KVM_IRQ_LINE = IoctlNumber.Iow(KVMIO, 0x61, Unsafe.SizeOf<kvm_irq_level>());
    public static readonly uint KVM_IRQFD = IoctlNumber.Iow(KVMIO, 0x76, Unsafe.SizeOf<kvm_irqfd>());
    public static readonly uint KVM_CREATE_PIT2 = IoctlNumber.Iow(KVMIO, 0x77, Unsafe.SizeOf<kvm_pit_config>());
    public static readonly uint KVM_IOEVENTFD = IoctlNumber.Iow(KVMIO, 0x79, Unsafe.SizeOf<kvm_ioeventfd>());

    // vCPU
    public static readonly uint KVM_RUN = IoctlNumber.Io(KVMIO, 0x80);
    public static readonly uint KVM_GET_REGS = IoctlNumber.Ior(KVMIO, 0x81, Unsafe.SizeOf<kvm_regs>());
    public static readonly uint KVM_SET_REGS = IoctlNumber.Iow(KVMIO, 0x82, Unsafe.SizeOf<kvm_regs>());
    public static readonly uint KVM_GET_SREGS = IoctlNumber.Ior(KVMIO, 0x83, Unsafe.SizeOf<kvm_sregs>());
    public static readonly uint KVM_SET_SREGS = IoctlNumber.Iow(KVMIO, 0x84, Unsafe.SizeOf<kvm_sregs>());
    public static readonly uint KVM_GET_MSRS = IoctlNumber.Iowr(KVMIO, 0x88, Unsafe.SizeOf<kvm_msrs>());
    public static readonly uint KVM_SET_MSRS = IoctlNumber.Iow(KVMIO, 0x89, Unsafe.SizeOf<kvm_msrs>());
    public static readonly uint KVM_SET_SIGNAL_MASK = IoctlNumber.Iow(KVMIO, 0x8b, Unsafe.SizeOf<kvm_signal_mask>());
    public static readonly uint KVM_GET_FPU = IoctlNumber.Ior(KVMIO, 0x8c, Unsafe.SizeOf<kvm_fpu>());
    public static readonly uint KVM_SET_FPU = IoctlNumber.Iow(KVMIO, 0x8d, Unsafe.SizeOf<kvm_fpu>());
    public static readonly uint KVM_GET_LAPIC = IoctlNumber.Ior(KVMIO, 0x8e, Unsafe.SizeOf<kvm_lapic_state>());
    public static readonly uint KVM_SET_LAPIC = IoctlNumber.Iow(KVMIO, 0x8f, Unsafe.SizeOf<kvm_lapic_state>());
    public static readonly uint KVM_SET_CPUID2 = IoctlNumber.Iow(KVMIO, 0x90, Unsafe.SizeOf<kvm_cpuid2>());
    public static readonly uint KVM_GET_CPUID2 = IoctlNumber.Iowr(KVMIO, 0x91, Unsafe.SizeOf<kvm_cpuid2>());
}
