using static KataSharp.Vmm.Kvm.Interop.KvmConstants;

namespace KataSharp.Vmm.Kvm;

/// <summary>The KVM_CHECK_EXTENSION capabilities the VMM asks about.</summary>
public enum KvmCapability
{
    Irqchip = KVM_CAP_IRQCHIP,
    Hlt = KVM_CAP_HLT,
    UserMemory = KVM_CAP_USER_MEMORY,
    SetTssAddress = KVM_CAP_SET_TSS_ADDR,
    ExtendedCpuid = KVM_CAP_EXT_CPUID,
    RecommendedVcpus = KVM_CAP_NR_VCPUS,
    MpState = KVM_CAP_MP_STATE,
    SyncMmu = KVM_CAP_SYNC_MMU,
    UserNmi = KVM_CAP_USER_NMI,
    IrqRouting = KVM_CAP_IRQ_ROUTING,
    IrqFd = KVM_CAP_IRQFD,
    Pit2 = KVM_CAP_PIT2,
    IoEventFd = KVM_CAP_IOEVENTFD,
    SetIdentityMapAddress = KVM_CAP_SET_IDENTITY_MAP_ADDR,
    AdjustClock = KVM_CAP_ADJUST_CLOCK,
    MaxVcpus = KVM_CAP_MAX_VCPUS,
    TscDeadlineTimer = KVM_CAP_TSC_DEADLINE_TIMER,
    ImmediateExit = KVM_CAP_IMMEDIATE_EXIT,
}
