namespace KataSharp.Vmm.Boot;

/// <summary>Values of the Linux x86 boot protocol's setup header (Documentation/arch/x86/boot.rst).</summary>
public static class SetupHeader
{
    /// <summary>boot_flag: the 0xAA55 boot-sector signature.</summary>
    public const ushort BootFlagMagic = 0xAA55;

    /// <summary>header: "HdrS" little-endian.</summary>
    public const uint HeaderMagic = 0x5372_6448;

    /// <summary>type_of_loader 0xFF: "undefined" boot loader (no assigned id), as Firecracker and QEMU's direct boot use.</summary>
    public const byte LoaderUndefined = 0xFF;

    /// <summary>loadflags bit 0 LOADED_HIGH: the protected-mode kernel is at 1 MiB.</summary>
    public const byte LoadedHigh = 0x01;

    /// <summary>loadflags bit 7 CAN_USE_HEAP: heap_end_ptr is valid.</summary>
    public const byte CanUseHeap = 0x80;

    /// <summary>xloadflags bit 0 XLF_KERNEL_64: a 64-bit entry point at load address + 0x200.</summary>
    public const ushort XlfKernel64 = 0x0001;

    /// <summary>The protocol version KataSharp implements when it builds a header itself (ELF kernels).</summary>
    public const ushort ProtocolVersion = 0x020F;

    /// <summary>Oldest protocol with xloadflags (2.12), needed to know a bzImage has a 64-bit entry.</summary>
    public const ushort MinimumBzImageVersion = 0x020C;

    /// <summary>Offset of the 64-bit entry point from the protected-mode kernel's load address.</summary>
    public const ulong Entry64Offset = 0x200;

    /// <summary>initrd_addr_max when the kernel does not say (protocol &lt; 2.03 and ELF kernels: the 2 GiB
    /// default every 64-bit kernel accepts).</summary>
    public const uint DefaultInitrdAddrMax = 0x7FFF_FFFF;

    /// <summary>Kernel alignment announced for ELF kernels (16 MiB, the x86-64 default PHYSICAL_ALIGN).</summary>
    public const uint DefaultKernelAlignment = 0x0100_0000;
}
