namespace KataSharp.Vmm.Kvm.Interop;

/// <summary>
/// Constants from &lt;linux/kvm.h&gt; and &lt;asm/kvm.h&gt;, under their C names so the layout test
/// can compare every one with the header (it reads this class by reflection).
/// </summary>
public static class KvmConstants
{
    public const uint KVMIO = 0xAE;

    /// <summary>The only API version KVM has ever shipped; anything else is not KVM as we know it.</summary>
    public const int KVM_API_VERSION = 12;

    // Capabilities (KVM_CHECK_EXTENSION).
    public const int KVM_CAP_IRQCHIP = 0;
    public const int KVM_CAP_HLT = 1;
    public const int KVM_CAP_USER_MEMORY = 3;
    public const int KVM_CAP_SET_TSS_ADDR = 4;
    public const int KVM_CAP_EXT_CPUID = 7;
    public const int KVM_CAP_NR_VCPUS = 9;
    public const int KVM_CAP_MP_STATE = 14;
    public const int KVM_CAP_SYNC_MMU = 16;
    public const int KVM_CAP_USER_NMI = 22;
    public const int KVM_CAP_IRQ_ROUTING = 25;
    public const int KVM_CAP_IRQFD = 32;
    public const int KVM_CAP_PIT2 = 33;
    public const int KVM_CAP_IOEVENTFD = 36;
    public const int KVM_CAP_SET_IDENTITY_MAP_ADDR = 37;
    public const int KVM_CAP_ADJUST_CLOCK = 39;
    public const int KVM_CAP_MAX_VCPUS = 66;
    public const int KVM_CAP_TSC_DEADLINE_TIMER = 72;
    public const int KVM_CAP_IMMEDIATE_EXIT = 136;

    // kvm_run.exit_reason.
    public const uint KVM_EXIT_UNKNOWN = 0;
    public const uint KVM_EXIT_EXCEPTION = 1;
    public const uint KVM_EXIT_IO = 2;
    public const uint KVM_EXIT_HYPERCALL = 3;
    public const uint KVM_EXIT_DEBUG = 4;
    public const uint KVM_EXIT_HLT = 5;
    public const uint KVM_EXIT_MMIO = 6;
    public const uint KVM_EXIT_IRQ_WINDOW_OPEN = 7;
    public const uint KVM_EXIT_SHUTDOWN = 8;
    public const uint KVM_EXIT_FAIL_ENTRY = 9;
    public const uint KVM_EXIT_INTR = 10;
    public const uint KVM_EXIT_NMI = 16;
    public const uint KVM_EXIT_INTERNAL_ERROR = 17;
    public const uint KVM_EXIT_SYSTEM_EVENT = 24;

    public const byte KVM_EXIT_IO_IN = 0;
    public const byte KVM_EXIT_IO_OUT = 1;

    // kvm_run.system_event.type.
    public const uint KVM_SYSTEM_EVENT_SHUTDOWN = 1;
    public const uint KVM_SYSTEM_EVENT_RESET = 2;
    public const uint KVM_SYSTEM_EVENT_CRASH = 3;

    // Flags.
    public const uint KVM_IOEVENTFD_FLAG_DATAMATCH = 1 << 0;
    public const uint KVM_IOEVENTFD_FLAG_PIO = 1 << 1;
    public const uint KVM_IOEVENTFD_FLAG_DEASSIGN = 1 << 2;
    public const uint KVM_IRQFD_FLAG_DEASSIGN = 1 << 0;
    public const uint KVM_PIT_SPEAKER_DUMMY = 1;
    public const uint KVM_CPUID_FLAG_SIGNIFCANT_INDEX = 1 << 0;

    /// <summary>How many entries the ioctls that return lists may hold at most (the kernel's own limits).</summary>
    public const int KVM_MAX_CPUID_ENTRIES = 256;
}
