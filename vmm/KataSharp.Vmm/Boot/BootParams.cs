using System.Buffers.Binary;

namespace KataSharp.Vmm.Boot;

/// <summary>
/// Builds the zero page (<c>struct boot_params</c>) for the 64-bit boot protocol: the kernel's
/// own setup header when it has one (bzImage) or a minimal one (ELF), then the loader's fields:
/// type_of_loader, loadflags, command line pointer and size, initrd address and size (with the
/// high 32 bits in the ext_* fields), and the e820 map.
/// </summary>
public static class BootParams
{
    public static byte[] Build(KernelImage kernel, ulong cmdlineAddress, ulong initrdAddress, ulong initrdSize, IReadOnlyList<E820Entry> e820)
    {
        if (e820.Count > E820Map.MaxEntries)
        {
            throw new ArgumentException($"{e820.Count} e820 entries exceed the zero page's {E820Map.MaxEntries}", nameof(e820));
        }
        var page = new byte[BootParamsLayout.Size];
        Span<byte> p = page;

        if (kernel.SetupHeader is { } header)
        {
            header.CopyTo(p[BootParamsLayout.SetupHeader..]);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(p[BootParamsLayout.BootFlag..], SetupHeader.BootFlagMagic);
            BinaryPrimitives.WriteUInt32LittleEndian(p[BootParamsLayout.Header..], SetupHeader.HeaderMagic);
            BinaryPrimitives.WriteUInt16LittleEndian(p[BootParamsLayout.Version..], SetupHeader.ProtocolVersion);
            BinaryPrimitives.WriteUInt32LittleEndian(p[BootParamsLayout.KernelAlignment..], SetupHeader.DefaultKernelAlignment);
            BinaryPrimitives.WriteUInt32LittleEndian(p[BootParamsLayout.InitrdAddrMax..], kernel.InitrdAddressMax);
            BinaryPrimitives.WriteUInt32LittleEndian(p[BootParamsLayout.CmdlineSize..], (uint)kernel.CmdlineMaxLength);
        }

        p[BootParamsLayout.TypeOfLoader] = SetupHeader.LoaderUndefined;
        p[BootParamsLayout.LoadFlags] |= SetupHeader.LoadedHigh;

        WriteSplit(p, BootParamsLayout.CmdLinePtr, BootParamsLayout.ExtCmdLinePtr, cmdlineAddress);
        WriteSplit(p, BootParamsLayout.RamdiskImage, BootParamsLayout.ExtRamdiskImage, initrdAddress);
        WriteSplit(p, BootParamsLayout.RamdiskSize, BootParamsLayout.ExtRamdiskSize, initrdSize);

        p[BootParamsLayout.E820EntryCount] = (byte)e820.Count;
        for (int i = 0; i < e820.Count; i++)
        {
            Span<byte> e = p.Slice(BootParamsLayout.E820Table + i * E820Entry.EncodedSize, E820Entry.EncodedSize);
            BinaryPrimitives.WriteUInt64LittleEndian(e, e820[i].Address);
            BinaryPrimitives.WriteUInt64LittleEndian(e[8..], e820[i].Size);
            BinaryPrimitives.WriteUInt32LittleEndian(e[16..], (uint)e820[i].Type);
        }
        return page;
    }

    /// <summary>A 64-bit value stored as a low 32-bit setup-header field plus its boot_params ext_* high half.</summary>
    private static void WriteSplit(Span<byte> page, int lowOffset, int highOffset, ulong value)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(page[lowOffset..], (uint)value);
        BinaryPrimitives.WriteUInt32LittleEndian(page[highOffset..], (uint)(value >> 32));
    }
}
