using System.Buffers.Binary;
using KataSharp.Vmm.Arch;

namespace KataSharp.Vmm.Boot;

/// <summary>
/// Understands a bzImage through its setup header: the protected-mode part (after the
/// setup sectors) is loaded at 1 MiB and entered at +0x200, the 64-bit entry that boot protocol
/// 2.12+ announces with XLF_KERNEL_64. The kernel's header is handed to it in boot_params.
/// </summary>
internal static class BzImageKernel
{
    private const int SetupSectorSize = 512;
    private const int DefaultSetupSects = 4;

    /// <summary>boot_params reserves [0x1F1, 0x290) for the setup header.</summary>
    private const int SetupHeaderRoomEnd = 0x290;

    public static bool IsBzImage(ReadOnlySpan<byte> probe) =>
        probe.Length >= BootParamsLayout.SetupHeaderEnd
        && BinaryPrimitives.ReadUInt16LittleEndian(probe[BootParamsLayout.BootFlag..]) == SetupHeader.BootFlagMagic
        && BinaryPrimitives.ReadUInt32LittleEndian(probe[BootParamsLayout.Header..]) == SetupHeader.HeaderMagic;

    public static KernelImage Inspect(string path, long fileLength, ReadOnlySpan<byte> probe)
    {
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(probe[BootParamsLayout.Version..]);
        if (version < SetupHeader.MinimumBzImageVersion)
        {
            throw Unsupported(path, $"its boot protocol is {version >> 8}.{version & 0xFF:d2}; 2.12 or later is needed for a 64-bit entry");
        }
        ushort xloadflags = BinaryPrimitives.ReadUInt16LittleEndian(probe[BootParamsLayout.XLoadFlags..]);
        if ((xloadflags & SetupHeader.XlfKernel64) == 0)
        {
            throw Unsupported(path, "it has no 64-bit entry point (XLF_KERNEL_64 is clear): build an x86-64 kernel");
        }
        if ((probe[BootParamsLayout.LoadFlags] & SetupHeader.LoadedHigh) == 0)
        {
            throw Unsupported(path, "it is a zImage (not LOADED_HIGH); only bzImage is supported");
        }
        int setupSects = probe[BootParamsLayout.SetupSects] == 0 ? DefaultSetupSects : probe[BootParamsLayout.SetupSects];
        long kernelOffset = (long)(setupSects + 1) * SetupSectorSize;
        if (kernelOffset >= fileLength)
        {
            throw Unsupported(path, $"its {setupSects} setup sectors reach past the end of the {fileLength}-byte file");
        }

        int headerEnd = Math.Min(BootParamsLayout.Jump + 2 + probe[BootParamsLayout.Jump + 1], SetupHeaderRoomEnd);
        byte[] header = probe[BootParamsLayout.SetupHeader..headerEnd].ToArray();

        ulong load = X86Layout.HighMemoryStart;
        ulong size = (ulong)(fileLength - kernelOffset);
        uint initSize = BinaryPrimitives.ReadUInt32LittleEndian(probe[BootParamsLayout.InitSize..]);
        uint initrdMax = BinaryPrimitives.ReadUInt32LittleEndian(probe[BootParamsLayout.InitrdAddrMax..]);
        uint cmdlineSize = BinaryPrimitives.ReadUInt32LittleEndian(probe[BootParamsLayout.CmdlineSize..]);
        var segment = new KernelSegment(kernelOffset, size, load, size);
        return new KernelImage(path, KernelFormat.BzImage, load + SetupHeader.Entry64Offset, [segment],
            Math.Max(segment.End, load + initSize), header,
            initrdMax == 0 ? SetupHeader.DefaultInitrdAddrMax : initrdMax,
            (int)Math.Min(cmdlineSize == 0 ? 255u : cmdlineSize, (uint)X86Layout.CmdlineMaxSize - 1));
    }

    private static BootException Unsupported(string path, string why) =>
        new(BootError.UnsupportedKernel, $"kernel '{path}' cannot be booted: {why}.");
}
