namespace KataSharp.Vmm.Boot;

/// <summary>
/// Byte offsets inside <c>struct boot_params</c> (asm/bootparam.h) and its embedded
/// <c>struct setup_header</c> at 0x1F1, for the fields KataSharp reads or writes. The layout test
/// checks each against offsetof() in the C header.
/// </summary>
public static class BootParamsLayout
{
    /// <summary>sizeof(struct boot_params): the zero page.</summary>
    public const int Size = 4096;

    public const int ExtRamdiskImage = 0x0C0;
    public const int ExtRamdiskSize = 0x0C4;
    public const int ExtCmdLinePtr = 0x0C8;
    public const int E820EntryCount = 0x1E8;
    public const int Sentinel = 0x1EF;

    /// <summary>offsetof(struct boot_params, hdr).</summary>
    public const int SetupHeader = 0x1F1;

    public const int SetupSects = 0x1F1;
    public const int BootFlag = 0x1FE;
    public const int Jump = 0x200;
    public const int Header = 0x202;
    public const int Version = 0x206;
    public const int TypeOfLoader = 0x210;
    public const int LoadFlags = 0x211;
    public const int Code32Start = 0x214;
    public const int RamdiskImage = 0x218;
    public const int RamdiskSize = 0x21C;
    public const int HeapEndPtr = 0x224;
    public const int CmdLinePtr = 0x228;
    public const int InitrdAddrMax = 0x22C;
    public const int KernelAlignment = 0x230;
    public const int RelocatableKernel = 0x234;
    public const int XLoadFlags = 0x236;
    public const int CmdlineSize = 0x238;
    public const int PrefAddress = 0x258;
    public const int InitSize = 0x260;

    /// <summary>First byte after the setup header fields this version of the protocol defines
    /// (offsetof(hdr) + sizeof(struct setup_header)).</summary>
    public const int SetupHeaderEnd = 0x26C;

    /// <summary>offsetof(struct boot_params, e820_table): <see cref="E820Map.MaxEntries"/> packed entries.</summary>
    public const int E820Table = 0x2D0;
}
