namespace KataSharp.Vmm.Arch;

/// <summary>The x86 control-register and EFER bits the boot state sets (Intel SDM vol. 3, 2.5).</summary>
public static class ControlRegisters
{
    public const ulong Cr0ProtectionEnable = 1UL << 0;
    public const ulong Cr0ExtensionType = 1UL << 4;
    public const ulong Cr0NumericError = 1UL << 5;
    public const ulong Cr0Paging = 1UL << 31;

    public const ulong Cr4PhysicalAddressExtension = 1UL << 5;

    public const ulong EferLongModeEnable = 1UL << 8;
    public const ulong EferLongModeActive = 1UL << 10;

    /// <summary>RFLAGS bit 1 is reserved and always reads 1.</summary>
    public const ulong RflagsReserved = 1UL << 1;
}
