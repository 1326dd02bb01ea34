using KataSharp.Vmm.Kvm.Interop;

namespace KataSharp.Vmm.Arch;

/// <summary>
/// The MSR values every vCPU starts with: syscall/sysenter entry points cleared (Linux sets its
/// own), TSC at 0, fast strings on, and MTRRs enabled with write-back as the default type so the
/// kernel does not run uncached.
/// </summary>
public static class BootMsrs
{
    public const uint IA32_TSC = 0x10;
    public const uint IA32_SYSENTER_CS = 0x174;
    public const uint IA32_SYSENTER_ESP = 0x175;
    public const uint IA32_SYSENTER_EIP = 0x176;
    public const uint IA32_MISC_ENABLE = 0x1A0;
    public const uint MTRR_DEF_TYPE = 0x2FF;
    public const uint STAR = 0xC000_0081;
    public const uint LSTAR = 0xC000_0082;
    public const uint CSTAR = 0xC000_0083;
    public const uint SYSCALL_MASK = 0xC000_0084;
    public const uint KERNEL_GS_BASE = 0xC000_0102;

    public const ulong MiscEnableFastString = 1;

    /// <summary>MTRRdefType: E (bit 11) plus default memory type 6 (write-back).</summary>
    public const ulong MtrrEnabledWriteBack = (1 << 11) | 6;

    public static readonly IReadOnlyList<(uint Index, ulong Value)> Values =
    [
        (IA32_SYSENTER_CS, 0),
        (IA32_SYSENTER_ESP, 0),
        (IA32_SYSENTER_EIP, 0),
        (STAR, 0),
        (LSTAR, 0),
        (CSTAR, 0),
        (SYSCALL_MASK, 0),
        (KERNEL_GS_BASE, 0),
        (IA32_TSC, 0),
        (IA32_MISC_ENABLE, MiscEnableFastString),
        (MTRR_DEF_TYPE, MtrrEnabledWriteBack),
    ];

    /// <summary>The entries KVM can take: those in its MSR index list. Others are left at KVM's reset value.</summary>
    public static kvm_msr_entry[] Entries(IReadOnlyCollection<uint> supportedIndices) =>
        Values.Where(v => supportedIndices.Contains(v.Index))
              .Select(v => new kvm_msr_entry { index = v.Index, data = v.Value })
              .ToArray();
}
